"""Getting data in: the YAML record format and its compiler, RDF files, untrusted uploads."""
