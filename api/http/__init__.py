"""HTTP mechanics every route shares: content negotiation (``negotiation``), conditional
requests (``conditional``), request bodies (``bodies``) and write authorisation (``auth``)."""
