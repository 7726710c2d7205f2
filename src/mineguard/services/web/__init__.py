"""The control-room dashboard: plain ES modules and one CSS file shipped inside the package
(``static/``), served by the API app itself at ``/dashboard/``. No build step and nothing from a
CDN: mine networks are often offline and the install path has no npm toolchain (docs/ARCHITECTURE.md)."""
