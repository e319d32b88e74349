"""The app's window as the X server sees it: found by its title, closed as a window manager's
close button does (a WM_DELETE_WINDOW message), and whether it is shown. Needs python-xlib
(tests/desktop/requirements.txt).
"""

from Xlib import X, protocol
from Xlib import display as xdisplay


class Screen:
    def __init__(self, display):
        self.display = xdisplay.Display(display)
        self.net_wm_name = self.display.intern_atom("_NET_WM_NAME")
        self.utf8 = self.display.intern_atom("UTF8_STRING")

    def _title(self, window):
        prop = window.get_full_property(self.net_wm_name, self.utf8)
        if prop is not None:
            value = prop.value
            return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        name = window.get_wm_name()
        return name.decode("latin-1") if isinstance(name, bytes) else (name or "")

    def windows(self, title_prefix):
        """Top-level windows whose title starts with `title_prefix`."""
        found, pending = [], [self.display.screen().root]
        while pending:
            for child in pending.pop().query_tree().children:
                if self._title(child).startswith(title_prefix):
                    found.append(child)
                pending.append(child)
        return found

    def shown(self, window):
        return window.get_attributes().map_state == X.IsViewable

    def close(self, window):
        """What a close button does: ask the app to close the window."""
        protocols = self.display.intern_atom("WM_PROTOCOLS")
        delete = self.display.intern_atom("WM_DELETE_WINDOW")
        event = protocol.event.ClientMessage(window=window, client_type=protocols,
                                             data=(32, [delete, X.CurrentTime, 0, 0, 0]))
        window.send_event(event)
        self.display.flush()
