#!/usr/bin/env python3
"""Renders a PURE requirements document (XML, req_document.xsd) as Markdown, the way a team
would write it: section titles as headings, section prose as paragraphs, each <req> as a line
"<id> <text>". The unit test tests/unit/product_test.cpp reads the result, with the ids, to check
that the analyser finds every requirement and invents none from headings.
Usage: pure_to_markdown.py <document.xml> <out.md> <out-ids.csv>"""
import csv
import re
import sys
import xml.etree.ElementTree as ET


def text_of(element):
    return re.sub(r"\s+", " ", "".join(element.itertext())).strip()


def render(element, depth, lines, reqs):
    for child in element:
        tag = child.tag.split("}")[-1]
        if tag == "title" and element.tag.split("}")[-1] == "p":
            lines += ["#" * min(depth, 6) + " " + text_of(child), ""]
        elif tag == "text_body" and element.tag.split("}")[-1] == "p":
            lines += [text_of(child), ""]
        elif tag == "p":
            render(child, depth + 1, lines, reqs)
        elif tag == "req":
            body = child.find("{*}text_body")
            text = text_of(body) if body is not None else ""
            if text:
                rid = child.get("id").strip()
                lines += [f"{rid} {text}", ""]
                reqs.append((rid, text))


def main(source, out_md, out_ids):
    raw = open(source, encoding="utf-8").read()
    root = ET.fromstring(raw[raw.index("<?xml"):].encode("utf-8"))
    lines, reqs = ["# " + text_of(root.find("{*}title")), ""], []
    render(root, 2, lines, reqs)
    open(out_md, "w", encoding="utf-8").write("\n".join(lines))
    with open(out_ids, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["id", "text"])
        writer.writerows(reqs)


if __name__ == "__main__":
    main(*sys.argv[1:])
