"""The organisation: units (a tree of any depth and any levels), officials, admin roles,
phones.
"""
