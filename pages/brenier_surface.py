"""The Canvas-2D surface component of the Brenier page (no WebGL needed).

The drawing code lives in ``assets/js/brenier_surface.js``; Panel reads that file and ships it
inside the page's own model, so nothing is fetched from anywhere else. Python sends the numbers
(float32 arrays, sent only when they change); the browser draws every frame of a rotation or
of the ``t`` animation itself and reports the view angles, ``t`` and a dragged separation back
on release, and the Monge-Ampere point the pointer hovers (or a finger taps). The separation
handle's drag and the hovered point use the shared flow control: the browser half
(``assets/js/components/flow.js``) is put in front of the module, and the page answers every
separation it receives by counting ``ack`` up.

The server half (:class:`pages.components.flow.Flow`) is not used here: a JSComponent's
parameters reach Python through Panel's own sync path (a Bokeh data model patched property by
property, batched by Panel into one ``param.update`` per message), not through a
ColumnDataSource ``on_change`` that Flow could coalesce, and Panel writes the reply itself. One
request in flight from the browser keeps that path free of backlog all the same.
"""

from __future__ import annotations

import numpy as np
import panel as pn
import param

from pages import compat, theme
from pages.components import js
from pages.components.flow import Flow


class BrenierSurface(pn.custom.JSComponent):
    """A rotatable height field with layers drawn on its base plane."""

    heights = param.Array(default=np.zeros(4, dtype=np.float32), doc="grid_n**2 potential values")
    grid_n = param.Integer(default=2, bounds=(2, None))
    half_width = param.Number(default=5.0, bounds=(0, None))
    arrows = param.Array(default=np.zeros(0, dtype=np.float32), doc="flat [x1, x2, T1, T2, ...]")
    samples = param.Array(default=np.zeros(0, dtype=np.float32), doc="flat [x1, x2, T1, T2, ...]")
    rings = param.Array(default=np.zeros(0, dtype=np.float32), doc="flat [x1, x2, T1, T2, ...]")
    ring_size = param.Integer(default=0, bounds=(0, None))
    mean_p = param.List(default=[0.0, 0.0])
    mean_q = param.List(default=[0.0, 0.0])
    layers = param.List(default=[])
    t = param.Number(default=0.0, bounds=(0, 1))
    az = param.Number(default=-35.0)
    el = param.Number(default=35.0)
    el_min = param.Number(default=5.0, constant=True)
    dx = param.Number(default=0.0)
    dy = param.Number(default=0.0)
    separation_limit = param.Number(default=3.5, constant=True)
    source_color = param.String(default=theme.SOURCE_COLOR, constant=True)
    target_color = param.String(default=theme.TARGET_COLOR, constant=True)
    arrow_color = param.String(default=theme.PLAN_COLOR, constant=True)
    dark = param.Boolean(default=False, constant=True, doc="page uses the dark theme")
    mx = param.Number(default=0.0, doc="Monge-Ampere point asked for, first coordinate")
    my = param.Number(default=0.0, doc="Monge-Ampere point asked for, second coordinate")
    probe = param.List(default=[], doc="[x1, x2, T1, T2]: the Monge-Ampere point and T(x)")
    ack = param.Integer(default=0, doc="answers to separations and points (browser's flow)")

    _esm = js.code("brenier_surface.js", Flow.JS)
    #: What the browser writes (view angles, a separation, the time slider); the rest is the
    #: server's, and a browser's change of it is refused (pages.compat.check_patch).
    BROWSER_WRITABLE = ("az", "el", "dx", "dy", "t", "mx", "my")

    def _get_model(self, doc, root=None, parent=None, comm=None):
        model = super()._get_model(doc, root, parent, comm)
        compat.browser_writable(model.data, 4, *self.BROWSER_WRITABLE)
        return model
