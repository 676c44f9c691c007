"""Files HR imports: one table reader, cell parsers, row errors and plans, one module per kind."""
