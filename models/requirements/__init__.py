"""The requirement catalogue (rules, targets, legal bases), completed training, their
evaluation and compliance against the province's targets.

The catalogue in six modules: `model` (the compiled, frozen rules and targets), `fields`
(what a rule may test, and how), `parser` and `rule_parser` (the YAML document to a model,
every problem reported by rule, with `reader`'s messages and small readers), `store` (its
tables, loading a file, the catalogue in force). Then `training_records` (completions),
`evaluation` (pure: what one official owes), `compliance` and `compliance_breakdown`.
"""
