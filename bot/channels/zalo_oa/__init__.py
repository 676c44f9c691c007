"""The Zalo Official Account channel: OAuth v4 tokens (tokens.py), the OpenAPI client
(api.py), webhook events (inbound.py, webhook.py), replies as OA messages (render.py) and the
channel itself (channel.py). Protocol facts and their sources: docs/zalo-oa.md."""
