#!/usr/bin/env python3
"""tests/merge_dot.py [--label FILE=NAME ...] FILE.dot... > mesh.dot

Merges the graphs of several wgbabeld nodes (`wgbabelctl graph`, one file
per node) into one picture of the topology. Routers are named by
router-id in every node's graph, so the same router seen by several nodes
is one node here; a node's own description of itself (wgb="self") wins
over what its neighbours know of it, and is labelled NAME when given (by
default the file's name without .dot: the hostname is the same in every
test namespace). Edges are kept once per (from, to, kind): the link A->B
as A sees it and B->A as B sees it are both drawn, each with its own
cost. A "behind" edge (a router seen through a neighbour) to a router
whose own graph is merged is dropped, its real links being drawn, unless
--keep-behind.

Reads only what ctl_graph.c writes: one statement per line,
  "ID" [attr=value, ...];   or   "A" -> "B" [attr=value, ...];
"""
import os
import re
import sys

NODE = re.compile(r'^\s*"((?:[^"\\]|\\.)*)"\s*\[(.*)\];\s*$')
EDGE = re.compile(r'^\s*"((?:[^"\\]|\\.)*)"\s*->\s*"((?:[^"\\]|\\.)*)"'
                  r'\s*\[(.*)\];\s*$')
ATTR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|[^,\s]+)')


def attrs(text):
    return dict(ATTR.findall(text))


def unq(v):
    return v[1:-1] if v.startswith('"') else v


def merge(files, labels, keep_behind):
    nodes, edges, order = {}, {}, []
    for path in files:
        name = labels.get(path, os.path.splitext(os.path.basename(path))[0])
        with open(path) as f:
            for line in f:
                m = EDGE.match(line)
                if m:
                    a = attrs(m.group(3))
                    key = (m.group(1), m.group(2), unq(a.get("wgb", '""')))
                    if key not in edges:
                        edges[key] = a
                        order.append(key)
                    continue
                m = NODE.match(line)
                if not m:
                    continue
                nid, a = m.group(1), attrs(m.group(2))
                kind = unq(a.get("wgb", '""'))
                if kind == "self":
                    rid = unq(a["label"]).split("\\n")[-1]
                    a["label"] = '"%s\\n%s"' % (name, rid)
                    nodes[nid] = a
                elif nid not in nodes or (
                        unq(nodes[nid].get("wgb", '""')) == "router"
                        and kind != "router"):
                    nodes[nid] = a
    selves = {n for n, v in nodes.items() if unq(v.get("wgb", '""')) == "self"}
    out = ["digraph mesh {", "  graph [rankdir=LR];",
           "  node [shape=box, fontsize=10];", "  edge [fontsize=9];"]
    for nid, a in nodes.items():
        out.append('  "%s" [%s];' % (nid, ", ".join(
            "%s=%s" % kv for kv in a.items())))
    for key in order:
        # a router seen through a neighbour that has its own graph here:
        # its real links are drawn from that graph
        if key[2] == "behind" and key[1] in selves and not keep_behind:
            continue
        out.append('  "%s" -> "%s" [%s];' % (key[0], key[1], ", ".join(
            "%s=%s" % kv for kv in edges[key].items())))
    out.append("}")
    return "\n".join(out) + "\n"


def main(argv):
    labels, files, keep = {}, [], False
    it = iter(argv)
    for a in it:
        if a == "--label":
            f, _, n = next(it).partition("=")
            labels[f] = n
        elif a == "--keep-behind":
            keep = True
        else:
            files.append(a)
    if not files:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    sys.stdout.write(merge(files, labels, keep))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
