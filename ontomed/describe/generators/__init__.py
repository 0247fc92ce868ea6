"""Text generators: facts → text (architecture.md §7).

``template`` says each fact through the ontology's templates (the ground
truth); ``transformer`` has a causal language model rewrite those sentences
into a paragraph (the default generator). Both are registered by
``ontomed.default_plugins.generation`` through ``register_text_generators``,
as a third party's would be. torch and transformers are imported only when a
model is loaded.
"""
