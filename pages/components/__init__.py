"""Shared figure components: each one class that owns its Bokeh sources and browser-side code,
has an ``update``, and is tested once (tests/pages/components, tests/browser/components).

Pages compose them; chapters reuse them (draggable histograms for 1-D pages, draggable points
for 2-D clouds, one readout table, one flow-control protocol for every draggable figure).
"""
