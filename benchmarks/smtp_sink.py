"""A local SMTP server that accepts and discards mail (aiosmtpd): the far end for benchmarks/journeys_scale.py."""

import sys
import time

from aiosmtpd.controller import Controller


class Sink:
    received = 0

    async def handle_DATA(self, server, session, envelope):
        Sink.received += 1
        return "250 OK"


if __name__ == "__main__":
    controller = Controller(Sink(), hostname="127.0.0.1", port=int(sys.argv[1]))
    controller.start()
    print("ready", flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()
