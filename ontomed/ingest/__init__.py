"""From sources to facts: readers → sentences → extractors → linkers → the pipeline that stores
the facts with their evidence (:mod:`.pipeline`)."""
