"""The requirement catalogue (rules, targets, legal bases), completed training, their
evaluation and compliance against the province's targets.
"""
