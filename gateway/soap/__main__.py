"""``python -m gateway.soap``: print the gateway's WSDL (``make wsdl`` writes wsdl/gateway.wsdl)."""

from __future__ import annotations

import sys

from gateway.soap.wsdl import gateway_wsdl

sys.stdout.write(gateway_wsdl().decode())
