"""SPARQL text handling shared by the library and the service: one lexer, update planning."""
