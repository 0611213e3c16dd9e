#!/usr/bin/env python3
"""tests/man/man_words.py SRCDIR — every word a parser accepts is in
its man page.

The words are read from the parsers' own source, the tables and comparisons
they decide with: the configuration directives (cfg_directives[]), the
options and values they take (config.c, cfgvalue.c), the control socket's
commands and "show" views (ctl_cmd.c, ctl_show.c), and both programs'
getopt tables. Each must appear, as a whole word, in the page rendered by
mdoc markup (Cm, Ic, Fl, Ar, Ql, Li...) of its page: wgbabeld.conf(5),
wgbabelctl(8), wgbabeld(8); the same word in prose does not count. A word added to a
parser without its documentation fails here; a pattern that matches nothing
fails too, so that a refactor cannot silently empty the list.
Ends with the line "N passed, N failed".
"""
import os
import re
import sys

SRC = sys.argv[1]

# (page, source file, regex whose group 1 is an accepted word, what it is)
RULES = [
    ("wgbabeld.conf.5", "daemon/config.c",
     r'\{ "([a-z0-9-]+)", cfg_do_\w+', "directive"),
    ("wgbabeld.conf.5", "daemon/config.c",
     r'strcmp\((?:w|s|l->words->w\[l->i\]), "([^"]+)"\)', "keyword or value"),
    ("wgbabeld.conf.5", "daemon/config.c",
     r'\[CFG_\w+\] = "([a-z0-9-]+)"', "value"),
    ("wgbabeld.conf.5", "daemon/config.c",
     r'case CFG_LOG_\w+: return "([a-z]+)"', "log level"),
    ("wgbabeld.conf.5", "daemon/cfgvalue.c",
     r'strcmp\((?:w|s), "([^"]+)"\)', "keyword or value"),
    ("wgbabeld.conf.5", "daemon/cfgcheck.c",
     r'strcmp\((?:w|s|k), "([^"]+)"\)', "announce option or value"),
    ("wgbabelctl.8", "daemon/ctl_cmd.c",
     r'strcmp\(w(?:\[\d\])?, "([^"]+)"\)', "control command word"),
    ("wgbabelctl.8", "daemon/ctl_show.c",
     r'strcmp\(what, "([^"]+)"\)', "show view"),
    ("wgbabelctl.8", "daemon/wgbabelctl.c",
     r'strcmp\(argv\[i\], "([^"]+)"\)', "argument word"),
]
# getopt tables: { "name", x_argument, NULL, 'c' } -> --name and -c
OPTS = [("wgbabelctl.8", "daemon/wgbabelctl.c"), ("wgbabeld.8", "daemon/main.c")]
OPT_RE = r'\{ "([a-z-]+)", \w+_argument, NULL, \'(.)\' \}'

results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(("ok" if ok else "not ok") + " %d - %s" % (len(results), name))
    if not ok and detail:
        print("#   " + detail)


# Macros whose arguments are words of the interface (mdoc(7)): a word in
# prose does not count, "on" or "if" would always be found there.
MARKUP = {"Cm", "Ic", "Ar", "Fl", "Ql", "Li", "Dq", "Sq", "Qq", "Dv", "Va",
          "Ev", "Pa"}


def marked_words(page):
    """The words of PAGE set as commands, options, values or literals:
    ".Cm log-level" gives log-level, ".Fl Fl dry-run" gives --dry-run."""
    words = set()
    for line in open(os.path.join(SRC, "man", page)):
        if not line.startswith("."):
            continue
        macro, dashes, prev = None, 0, None
        for tok in re.findall(r'"[^"]*"|\S+', line[1:]):
            if re.fullmatch(r"[A-Z][a-z][a-z]?", tok):
                # "Fl Fl x" is --x; "Fl h , Fl -help" is -h and --help
                dashes = (dashes + 1 if prev == "Fl" else 1) \
                    if tok == "Fl" else 0
                macro = prev = tok
                continue
            prev = None
            if macro not in MARKUP:
                continue
            for t in tok.strip('"').split():
                t = t.rstrip(",.;:)").lstrip("(")
                if t:
                    words.add("-" * dashes + t if macro == "Fl" else t)
    return words


def has(words, word):
    return word in words


pages = {}
for page, path, rx, what in RULES:
    text = pages.setdefault(page, marked_words(page))
    words = sorted(set(re.findall(rx, open(os.path.join(SRC, path)).read())))
    check("%s: the pattern for %ss finds words" % (path, what), words, rx)
    for w in words:
        check("%s: %s '%s' is in %s" % (path, what, w, page), has(text, w))
for page, path in OPTS:
    text = pages.setdefault(page, marked_words(page))
    opts = re.findall(OPT_RE, open(os.path.join(SRC, path)).read())
    check("%s: the getopt table is found" % path, opts)
    for name, short in opts:
        for o in ("--" + name, "-" + short):
            check("%s: option %s is in %s" % (path, o, page), has(text, o))

passed = sum(1 for r in results if r)
print("%d passed, %d failed" % (passed, len(results) - passed))
sys.exit(0 if passed == len(results) else 1)
