#!/bin/sh
# Make sure a Chromium and CJK fonts exist for the browser crawler and screenshots.
# Order: a Chromium ShopSentinel already finds; Playwright's own download; Debian's packages when we are root;
# otherwise say exactly what to install. Then, as root, Debian's headless shell beside a full Chromium.
# Usage: scripts/ensure-browser.sh PATH/TO/VENV/PYTHON
set -u
PY=${1:-.venv/bin/python}

have_fonts() {
    command -v fc-list >/dev/null 2>&1 && fc-list :lang=zh 2>/dev/null | grep -q .
}

apt_install() {
    [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 || return 1
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q "$@" >/dev/null 2>&1 && return 0
    echo "ensure-browser: refreshing apt package lists" >&2
    apt-get update -q >/dev/null 2>&1 && apt-get install -y -q "$@" >/dev/null
}

if ! "$PY" -m crawlers.browser >/dev/null 2>&1; then
    echo "ensure-browser: no Chromium yet; trying Playwright's download" >&2
    if ! "$PY" -m playwright install chromium >/dev/null 2>&1 || ! "$PY" -m crawlers.browser >/dev/null 2>&1; then
        echo "ensure-browser: Playwright could not download Chromium; trying Debian's chromium package" >&2
        apt_install chromium || true
    fi
fi
if ! chromium=$("$PY" -m crawlers.browser); then
    echo "ensure-browser: could not install Chromium. Install it yourself: 'sudo apt-get install chromium'," >&2
    echo "or 'python -m playwright install --with-deps chromium', or point SHOPSENTINEL_CHROMIUM at one." >&2
    exit 1
fi
echo "$chromium"
# Crawls run headless, and Chromium's headless shell does that in about half the memory of the full browser.
case "$chromium" in
    *headless*) ;;
    *) apt_install chromium-headless-shell || echo "ensure-browser: note: crawls will use the full Chromium;" \
        "the headless shell takes about half its memory ('apt-get install chromium-headless-shell')" >&2 ;;
esac
if ! have_fonts; then
    apt_install fonts-wqy-microhei fontconfig || \
        echo "ensure-browser: warning: no CJK font; screenshots will show boxes. Install fonts-wqy-microhei." >&2
fi
exit 0
