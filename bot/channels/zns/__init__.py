"""ZNS transport: approved template messages by phone number (docs/zalo-oa.md "ZNS")."""
