"""A StatusNotifierWatcher on a private session bus, as a desktop's tray host runs one: the app's
tray icon (libayatana-appindicator) registers with it, and the test reads the icon's
StatusNotifierItem properties and its com.canonical.dbusmenu menu, and clicks menu items, over
the real protocol. Needs dbus-next (tests/desktop/requirements.txt).
"""

import asyncio
import struct
import threading
import time
import zlib

from dbus_next import BusType, Message, MessageType, Variant
from dbus_next.aio import MessageBus

WATCHER = "org.kde.StatusNotifierWatcher"
WATCHER_PATH = "/StatusNotifierWatcher"
ITEM = "org.kde.StatusNotifierItem"
MENU = "com.canonical.dbusmenu"


class TrayHost:
    """Runs the watcher in a thread of its own; the test calls the blocking methods."""

    def __init__(self, address):
        self.address = address
        self.items = []  # (bus name, object path) of the registered items
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        if not self.ready.wait(15):
            raise RuntimeError("the tray host did not connect to the session bus")

    def _run(self):
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._connect())
        self.ready.set()
        self.loop.run_forever()

    async def _connect(self):
        self.bus = await MessageBus(bus_address=self.address, bus_type=BusType.SESSION).connect()
        self.bus.add_message_handler(self._handle)
        await self.bus.request_name(WATCHER)

    def _handle(self, msg):
        if msg.message_type != MessageType.METHOD_CALL or msg.path != WATCHER_PATH:
            return None
        if msg.interface == WATCHER and msg.member == "RegisterStatusNotifierItem":
            path = msg.body[0] if msg.body and msg.body[0].startswith("/") else "/StatusNotifierItem"
            self.items.append((msg.sender, path))
            return Message.new_method_return(msg)
        if msg.interface == WATCHER and msg.member == "RegisterStatusNotifierHost":
            return Message.new_method_return(msg)
        if msg.interface == "org.freedesktop.DBus.Properties":
            props = {
                "IsStatusNotifierHostRegistered": Variant("b", True),
                "ProtocolVersion": Variant("i", 0),
                "RegisteredStatusNotifierItems": Variant("as", [f"{s}{p}" for s, p in self.items]),
            }
            if msg.member == "Get" and msg.body[1] in props:
                return Message.new_method_return(msg, "v", [props[msg.body[1]]])
            if msg.member == "GetAll":
                return Message.new_method_return(msg, "a{sv}", [props])
        return None

    def _call(self, coro, timeout=15):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def _method(self, destination, path, interface, member, signature="", body=()):
        reply = await self.bus.call(Message(destination=destination, path=path, interface=interface,
                                            member=member, signature=signature, body=list(body)))
        if reply.message_type == MessageType.ERROR:
            raise RuntimeError(f"{interface}.{member}: {reply.error_name} {reply.body}")
        return reply.body

    def wait_for_item(self, timeout=20):
        deadline = time.monotonic() + timeout
        while not self.items and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.items[0] if self.items else None

    def properties(self, item):
        (props,) = self._call(self._method(item[0], item[1], "org.freedesktop.DBus.Properties", "GetAll",
                                           "s", [ITEM]))
        return {k: v.value for k, v in props.items()}

    def menu(self, item):
        """The menu's items: [{id, label, enabled, type}] in order."""
        path = self.properties(item)["Menu"]
        _revision, layout = self._call(self._method(item[0], path, MENU, "GetLayout", "iias", [0, -1, []]))
        entries = []
        for child in layout[2]:
            item_id, props, _children = child.value
            values = {k: v.value for k, v in props.items()}
            entries.append({
                "id": item_id,
                "label": values.get("label", "").replace("_", ""),
                "enabled": values.get("enabled", True),
                "type": values.get("type", "standard"),
                "checked": values.get("toggle-state") == 1,
            })
        return entries

    def click(self, item, label):
        path = self.properties(item)["Menu"]
        entry = next((e for e in self.menu(item) if e["label"] == label), None)
        if entry is None:
            raise RuntimeError(f"no menu item {label!r}")
        self._call(self._method(item[0], path, MENU, "Event", "isvu",
                                [entry["id"], "clicked", Variant("s", ""), int(time.time())]))

    def close(self):
        async def leave():
            self.bus.disconnect()
            await self.bus.wait_for_disconnect()

        try:
            self._call(leave(), timeout=5)
        except Exception:  # noqa: BLE001 - the bus may be gone already
            pass
        self.loop.call_soon_threadsafe(self.loop.stop)


def png_pixel(data, x, y):
    """The RGBA pixel at (x, y) of an 8-bit RGBA, non-interlaced PNG."""
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    if (depth, colour) != (8, 6):
        raise ValueError(f"not an 8-bit RGBA PNG (depth {depth}, colour type {colour})")
    chunks, at = [], 8
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        if kind == b"IDAT":
            chunks.append(data[at + 8:at + 8 + length])
        at += 12 + length
    raw = zlib.decompress(b"".join(chunks))
    stride, rows, previous = width * 4, [], bytearray(width * 4)
    for row in range(height):
        kind, line = raw[row * (stride + 1)], bytearray(raw[row * (stride + 1) + 1:(row + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - 4] if i >= 4 else 0
            up = previous[i]
            up_left = previous[i - 4] if i >= 4 else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - up_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else up_left)) & 0xFF
        rows.append(line)
        previous = line
    return tuple(rows[y][x * 4:x * 4 + 4])
