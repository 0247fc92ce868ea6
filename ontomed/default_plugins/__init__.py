"""ontomed's own features, written as plugins through the same hooks a third party uses."""
