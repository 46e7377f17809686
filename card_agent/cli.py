"""`bawaba-card-agent`: start the agent (or list what it sees with --list).

    bawaba-card-agent --trusted-origin https://login.example.gov

Prints one line with the address it listens on, then serves until SIGTERM or Ctrl-C."""

import argparse
import logging
import signal
import sys
import threading
import webbrowser

from werkzeug.serving import WSGIRequestHandler
from werkzeug.serving import make_server

from . import __version__
from .authentication import Authenticator
from .card import CardModule
from .config import MODES
from .config import ConfigError
from .config import load_config
from .errors import CardError
from .presence import TokenWatcher
from .server import AgentApp

log = logging.getLogger("card_agent")


class QuietHandler(WSGIRequestHandler):
    """Request lines go to the debug log only: the page polls every second."""

    def log_request(self, code="-", size="-"):
        log.debug("%s %s", self.requestline.split(" ")[0], code)


def build_watcher(config, module):
    if config.readers == "token":
        return TokenWatcher(module)
    from .readers import PcscWatcher  # pyscard only when PC/SC is used

    return PcscWatcher()


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="bawaba-card-agent",
                                     description="ID card agent for signing in with Bawaba.")
    parser.add_argument("--config", help="TOML settings file")
    parser.add_argument("--trusted-origin", action="append", dest="trusted_origins",
                        help="a site allowed to ask for authentication (repeatable)")
    parser.add_argument("--pkcs11-module", help="the card's PKCS#11 module")
    parser.add_argument("--readers", choices=MODES,
                        help="pcsc: watch PC/SC readers; token: token presence (SoftHSM2)")
    parser.add_argument("--token-label", help="use only the token with this label")
    parser.add_argument("--port", type=int, help="loopback port (0: any free port)")
    parser.add_argument("--no-browser", dest="open_browser", action="store_const", const=False,
                        help="do not open the PIN page in the browser")
    parser.add_argument("--list", action="store_true", help="list readers and cards, then exit")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(name)s: %(message)s")
    overrides = {k: getattr(args, k) for k in ("trusted_origins", "pkcs11_module", "readers",
                                               "token_label", "port", "open_browser")}
    try:
        config = load_config(args.config, overrides)
    except ConfigError as error:
        sys.exit(f"bawaba-card-agent: {error}")
    module = CardModule(config.pkcs11_module, config.token_label)
    watcher = build_watcher(config, module).start()
    if args.list:
        sys.exit(list_cards(config, module, watcher))
    app = AgentApp(config, Authenticator(config, module, watcher),
                   open_page=open_in_browser if config.open_browser else None)
    try:
        server = make_server("127.0.0.1", config.port, app, threaded=True,
                             request_handler=QuietHandler)
    except OSError as error:
        sys.exit(f"bawaba-card-agent: cannot listen on 127.0.0.1:{config.port}: {error}")
    app.port = server.server_port
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print(f"bawaba-card-agent {__version__} listening on {app.base_url} "
          f"(readers: {config.readers}, module: {config.pkcs11_module}, "
          f"trusted origins: {' '.join(config.trusted_origins)})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        watcher.stop()
        server.server_close()


def open_in_browser(url):
    threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()


def list_cards(config, module, watcher):
    watcher.wait_for(lambda snapshot: snapshot.service, 2)
    snapshot = watcher.snapshot()
    if not snapshot.service:
        print("reader service not running")
        return 1
    for reader in snapshot.readers:
        print(f"reader: {reader.name}\t{'card' if reader.card_present else 'empty'}")
    try:
        card = module.find_card({r.name for r in snapshot.with_card})
    except CardError as error:
        print(f"card: error: {error.detail}")
        return 1
    if card is not None:
        print(f"card: {card.reader}\t{card.certificate.subject.rfc4514_string()}")
    return 0
