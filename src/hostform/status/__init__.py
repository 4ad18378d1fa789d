"""``hostform status``, ``logs`` and ``update``: the VM's endpoints (:mod:`hostform.status.vm`) and the
user's client (:mod:`hostform.status.client`)."""
