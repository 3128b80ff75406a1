"""Typed bindings for the Threadloom App Server protocol.

Import one protocol version's package (`threadloom_protocol.v2`) for models, the typed server
handler base and the typed client; `threadloom_runtime` holds the JSON-RPC machinery they
share. Nothing heavy is imported here so that `import threadloom_protocol.v2.models` stays cheap.
"""

SUPPORTED_VERSIONS = (1, 2)
