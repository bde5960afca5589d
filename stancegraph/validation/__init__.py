"""SHACL validation: pyshacl as the reference, shapes compiled to SPARQL, and validation of a change."""
