"""One home for the look: colours shared by every figure and the Bokeh options they use."""

from __future__ import annotations

#: Source p and target q keep these colours on every page (Okabe-Ito, colour-blind safe).
SOURCE_COLOR = "#0072B2"
TARGET_COLOR = "#D55E00"
#: Mass moved, plans and other "coupling" ink.
PLAN_COLOR = "#009E73"
PLAN_PALETTE = "Viridis256"
MUTED_COLOR = "#888888"
WARNING_COLOR = "#B00020"

#: Page background and text colour per Panel theme (``?theme=dark``); they match Panel's own
#: component colours so the page and its components read as one surface.
PAGE_COLORS = {"default": ("#ffffff", "#212529"), "dark": ("#212529", "#f1f3f5")}

#: The keyboard focus ring of every control and figure (notebook.css draws the same on Panel's
#: widgets): 3:1 or more against the light page, its grey controls card and the dark page.
FOCUS_COLOR = "#c45200"
FOCUS_COLOR_DARK = "#ff9a40"
FOCUS_RING = "3px solid var(--ot-focus-theme, #c45200)"
#: The same ring for Bokeh widgets, whose shadow roots do not get notebook.css.
FOCUS_CSS = (
    "[tabindex]:focus-visible, input:focus-visible, button:focus-visible "
    f"{{ outline: {FOCUS_RING} !important; outline-offset: 2px; border-radius: 3px; }}"
)


def caption_color(dark: bool) -> str:
    """Grey for captions and notes: 4.5:1 or more on the page of either theme (MUTED_COLOR, for
    lines, is 3.5:1 on white: too faint for text)."""
    return "#c1c7cd" if dark else "#555b62"


FONT_FAMILY = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"


def dark_bokeh_theme():
    """Panel's dark Bokeh theme (axes, grid and text light on dark), bundled, no network."""
    from panel.theme import DarkTheme

    return DarkTheme().bokeh_theme


def style_figure(fig) -> None:
    """Shared Bokeh styling: quiet grid, readable axis text, no logo, no toolbar clutter."""
    fig.toolbar.logo = None
    fig.background_fill_alpha = 0.0
    fig.border_fill_alpha = 0.0
    fig.outline_line_color = None
    for axis in (*fig.xaxis, *fig.yaxis):
        axis.axis_label_text_font_style = "normal"
        axis.axis_label_text_font_size = "13px"
        axis.major_label_text_font_size = "12px"
    fig.grid.grid_line_alpha = 0.3
