"""aiocoap as a client of an mbpf device: an EDHOC handshake (lakers-python, through
aiocoap's own EDHOC support), then one OSCORE-protected request.

Prints `CODE <code>` and `PAYLOAD <hex>` of the answer and exits 0 on a 2.xx answer,
1 on any other answer or error (which it prints). The identities are the project's
files: a P-256 secret in hex and credentials (CCS, RFC 9528 §3.5.3) in hex.
"""
import argparse
import asyncio
import sys

import cbor2
from aiocoap import Context, Message, POST


def read_hex(path):
    with open(path) as f:
        return bytes.fromhex(f.read().strip())


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--uri", required=True, help="coap://HOST:PORT")
    p.add_argument("--key", required=True, help="the client's P-256 secret (hex)")
    p.add_argument("--credential", required=True, help="the client's CCS (hex)")
    p.add_argument("--device-credential", required=True, help="the device's CCS (hex)")
    p.add_argument("--path", required=True)
    p.add_argument("--payload-hex", default="")
    args = p.parse_args()

    own = cbor2.loads(read_hex(args.credential))
    device = cbor2.loads(read_hex(args.device_credential))
    context = await Context.create_client_context()
    context.client_credentials.load_from_dict(
        {
            args.uri + "/*": {
                "edhoc-oscore": {
                    "suite": 2,
                    "method": 3,
                    "own_cred_style": "by-key-id",
                    "own_cred": {14: own},
                    "private_key": {1: 2, -1: 1, -4: read_hex(args.key)},
                    "peer_cred": {14: device},
                    # message_3 on its own request, answered by message_4 (the device
                    # does not take the EDHOC + OSCORE combined request of RFC 9668).
                    "use_combined_edhoc": False,
                }
            }
        }
    )
    request = Message(code=POST, uri=args.uri + "/" + args.path, payload=bytes.fromhex(args.payload_hex))
    try:
        response = await context.request(request).response
    except Exception as e:  # noqa: BLE001 - any failure is the answer
        print("ERROR", type(e).__name__, e)
        return 1
    finally:
        await context.shutdown()
    print("CODE", response.code)
    print("PAYLOAD", response.payload.hex())
    return 0 if response.code.is_successful() else 1


sys.exit(asyncio.run(main()))
