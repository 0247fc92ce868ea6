"""From facts to text: template sentences (:mod:`.verbalize`), text generators
(:mod:`.generators`), the check of every generated sentence against the graph
(:mod:`.faithfulness`), and the service the CLI and the web app call (:mod:`.service`)."""
