"""API resources: declarations of endpoints on top of the one send path."""
