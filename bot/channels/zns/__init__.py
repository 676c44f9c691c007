"""ZNS transport: approved template messages by phone number (docs/zalo-zns.md)."""
