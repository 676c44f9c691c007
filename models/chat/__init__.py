"""Chat accounts and what one chat needs per update: link codes, dialog state, the locked
read of account, dialog and official, inbound de-duplication.
"""
