#!/usr/bin/env bash
# Browser tests drive Debian's Chromium. Install it when missing and we may (root with apt);
# otherwise say so: the browser tests then skip outside CI and fail under CI.
# A CJK font too, or Chinese pages render as empty boxes in screenshots.
if [ -x /usr/bin/chromium ] && dpkg -s fonts-wqy-zenhei >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "installing Debian's chromium for the browser tests"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-zenhei >/dev/null \
    && exit 0
fi
echo "note: /usr/bin/chromium is missing; browser tests will skip (apt-get install chromium)" >&2
exit 0
