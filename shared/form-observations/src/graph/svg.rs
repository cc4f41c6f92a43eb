//! Draws a `GraphExport` as a standalone SVG (the robot's `image` answer).
//!
//! Layout: fields that take part in a dependency are placed in columns by
//! the length of the longest dependency chain below them, so what a field
//! depends on is always to its left. Members of one cycle share a column,
//! and the edges between them curve round the right-hand side, drawn red.
//! References to missing fields end in grey dashed boxes.

use std::fmt::Write as _;

use super::EdgeKind;
use super::export::GraphExport;
use super::find_cycles;

const BOX_W: usize = 210;
const BOX_H: usize = 40;
const COL_W: usize = 300;
const ROW_H: usize = 58;
const MARGIN: usize = 24;
const TOP: usize = 84;

const LOGIC: &str = "#3566c8";
const CALC: &str = "#2e8b57";
const CYCLE: &str = "#c0392b";
const MISSING: &str = "#8a8a8a";

/// One arrow to draw: `from` depends on `to` (box indexes).
#[derive(Clone, Copy)]
struct Link {
    from: usize,
    to: usize,
    colour: &'static str,
    dashed: bool,
    in_cycle: bool,
}

/// One box to draw: a field, or a missing field something refers to.
struct Box_ {
    title: String,
    subtitle: String,
    in_cycle: bool,
    missing: bool,
    order: usize,
}

pub fn render(graph: &GraphExport) -> String {
    let fields = graph.nodes.len();
    let mut boxes: Vec<Box_> = graph
        .nodes
        .iter()
        .map(|node| Box_ {
            title: if node.label.is_empty() {
                "(no label)".to_owned()
            } else {
                node.label.clone()
            },
            subtitle: format!("{} · {}", node.id, node.field_type),
            in_cycle: node.in_cycle,
            missing: false,
            order: node.position,
        })
        .collect();
    let mut links: Vec<Link> = graph
        .edges
        .iter()
        .filter(|e| e.source < fields && e.target < fields)
        .map(|e| {
            let (colour, dashed) = match e.kind {
                EdgeKind::Logic => (LOGIC, false),
                EdgeKind::Section | EdgeKind::Table => (LOGIC, true),
                EdgeKind::Calculation => (CALC, false),
                EdgeKind::Column => (CALC, true),
            };
            Link {
                from: e.source,
                to: e.target,
                colour,
                dashed,
                in_cycle: e.in_cycle,
            }
        })
        .collect();
    let mut missing_ids: Vec<String> = Vec::new();
    for dangling in graph.dangling.iter().filter(|d| d.source < fields) {
        let key = dangling.to.to_string();
        let index = match missing_ids.iter().position(|m| *m == key) {
            Some(found) => fields + found,
            None => {
                missing_ids.push(key.clone());
                boxes.push(Box_ {
                    title: "missing field".to_owned(),
                    subtitle: key,
                    in_cycle: false,
                    missing: true,
                    order: usize::MAX,
                });
                boxes.len() - 1
            }
        };
        links.push(Link {
            from: dangling.source,
            to: index,
            colour: MISSING,
            dashed: true,
            in_cycle: false,
        });
    }

    let total = boxes.len();
    let mut shown = vec![false; total];
    for &Link { from, to, .. } in &links {
        shown[from] = true;
        shown[to] = true;
    }
    let pairs: Vec<(usize, usize)> = links.iter().map(|l| (l.from, l.to)).collect();
    let (layer, group) = layers(total, &pairs);
    let mut place = vec![(0usize, 0usize); total];
    let max_layer = (0..total)
        .filter(|&i| shown[i])
        .map(|i| layer[i])
        .max()
        .unwrap_or(0);
    let mut rows = 0;
    // Row of each placed box, so later columns can sit next to what they use.
    let mut row_of: Vec<Option<usize>> = vec![None; total];
    for column in 0..=max_layer {
        // Barycentre of the rows a box's group depends on (fewer crossings);
        // the first column, and ties, keep form order.
        let pull = |i: usize| -> f64 {
            let used: Vec<usize> = pairs
                .iter()
                .filter(|(from, _)| group[*from] == group[i])
                .filter_map(|(_, to)| row_of[*to])
                .collect();
            if used.is_empty() {
                f64::MAX
            } else {
                used.iter().sum::<usize>() as f64 / used.len() as f64
            }
        };
        let mut keyed: Vec<(f64, usize, usize, usize)> = (0..total)
            .filter(|&i| shown[i] && layer[i] == column)
            .map(|i| (pull(i), boxes[group[i]].order, boxes[i].order, i))
            .collect();
        keyed.sort_by(|a, b| {
            a.0.total_cmp(&b.0)
                .then((a.1, a.2, a.3).cmp(&(b.1, b.2, b.3)))
        });
        for (row, &(_, _, _, i)) in keyed.iter().enumerate() {
            place[i] = (MARGIN + column * COL_W, TOP + row * ROW_H);
            row_of[i] = Some(row);
        }
        rows = rows.max(keyed.len());
    }
    let width = (2 * MARGIN + max_layer * COL_W + BOX_W + 120).max(720);
    let height = TOP + rows.max(1) * ROW_H + MARGIN;

    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="Helvetica, Arial, sans-serif">"#
    );
    svg.push_str("<defs>");
    for (name, colour) in [
        ("logic", LOGIC),
        ("calc", CALC),
        ("cycle", CYCLE),
        ("missing", MISSING),
    ] {
        let _ = write!(
            svg,
            r#"<marker id="arrow-{name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>"#
        );
    }
    svg.push_str("</defs>");
    let _ = write!(
        svg,
        r##"<rect width="100%" height="100%" fill="#ffffff"/><text x="{MARGIN}" y="28" font-size="16" font-weight="bold">{}</text>"##,
        escape(&format!(
            "Dependencies of form {} \"{}\"",
            graph.form_id, graph.form_name
        ))
    );
    legend(&mut svg);
    if !shown.iter().any(|&s| s) {
        let _ = write!(
            svg,
            r#"<text x="{MARGIN}" y="{}" font-size="13">No field depends on another field.</text>"#,
            TOP + 20
        );
    }
    for link in &links {
        let same_layer = layer[link.from] == layer[link.to];
        edge(&mut svg, link, place[link.from], place[link.to], same_layer);
    }
    for (i, b) in boxes.iter().enumerate().filter(|(i, _)| shown[*i]) {
        node(&mut svg, place[i], b);
    }
    svg.push_str("</svg>\n");
    svg
}

/// Longest-path layering of the condensation: sinks in layer 0, every other
/// node one beyond the deepest thing it depends on; a cycle shares a layer.
/// Also returns each node's group (the first member of its cycle, or itself).
fn layers(count: usize, pairs: &[(usize, usize)]) -> (Vec<usize>, Vec<usize>) {
    let mut group: Vec<usize> = (0..count).collect();
    for cycle in find_cycles(count, pairs) {
        if let Some(&first) = cycle.members.first() {
            for member in cycle.members {
                group[member] = first;
            }
        }
    }
    // Work on groups: on the DAG of groups each pass settles at least one
    // more level, so `count` passes always suffice.
    let mut level = vec![0usize; count];
    for _ in 0..=count {
        let mut changed = false;
        for &(from, to) in pairs {
            let (a, b) = (group[from], group[to]);
            if a != b && level[a] < level[b] + 1 {
                level[a] = level[b] + 1;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let layer = (0..count).map(|v| level[group[v]]).collect();
    (layer, group)
}

fn edge(
    svg: &mut String,
    link: &Link,
    (fx, fy): (usize, usize),
    (tx, ty): (usize, usize),
    same_layer: bool,
) {
    let Link {
        from,
        to,
        colour,
        dashed,
        in_cycle,
    } = *link;
    let self_loop = from == to;
    let (stroke, marker, width) = if in_cycle {
        (CYCLE, "cycle", 2.2)
    } else if colour == CALC {
        (colour, "calc", 1.3)
    } else if colour == MISSING {
        (colour, "missing", 1.3)
    } else {
        (colour, "logic", 1.3)
    };
    let dash = if dashed {
        r#" stroke-dasharray="5,4""#
    } else {
        ""
    };
    let mid = BOX_H / 2;
    let path = if self_loop {
        let x = fx + BOX_W;
        format!(
            "M{x},{} C{},{} {},{} {x},{}",
            fy + 8,
            x + 46,
            fy - 14,
            x + 46,
            fy + BOX_H + 14,
            fy + BOX_H - 8
        )
    } else if same_layer {
        // Bend out to the right, further for rows that are further apart.
        let x = fx + BOX_W;
        let bulge = 40 + fy.abs_diff(ty) / 4;
        format!(
            "M{x},{} C{},{} {},{} {x},{}",
            fy + mid,
            x + bulge,
            fy + mid,
            x + bulge,
            ty + mid,
            ty + mid
        )
    } else {
        let (sx, sy, ex, ey) = (fx, fy + mid, tx + BOX_W, ty + mid);
        format!(
            "M{sx},{sy} C{},{sy} {},{ey} {ex},{ey}",
            sx.saturating_sub(60),
            ex + 60
        )
    };
    let _ = write!(
        svg,
        r#"<path d="{path}" fill="none" stroke="{stroke}" stroke-width="{width}"{dash} marker-end="url(#arrow-{marker})"/>"#
    );
}

fn node(svg: &mut String, (x, y): (usize, usize), b: &Box_) {
    let (fill, stroke, dash) = if b.missing {
        ("#f1f1f1", MISSING, r#" stroke-dasharray="4,3""#)
    } else if b.in_cycle {
        ("#fdecea", CYCLE, "")
    } else {
        ("#ffffff", "#555555", "")
    };
    let _ = write!(
        svg,
        r##"<g><rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="6" fill="{fill}" stroke="{stroke}"{dash}/><text x="{}" y="{}" font-size="12">{}</text><text x="{}" y="{}" font-size="10" fill="#666666">{}</text></g>"##,
        x + 8,
        y + 16,
        escape(&truncate(&b.title, 30)),
        x + 8,
        y + 31,
        escape(&truncate(&b.subtitle, 36)),
    );
}

fn legend(svg: &mut String) {
    let entries = [
        (LOGIC, false, "logic check"),
        (LOGIC, true, "section / table logic"),
        (CALC, false, "calculation"),
        (CALC, true, "column formula"),
        (CYCLE, false, "part of a cycle"),
        (MISSING, true, "missing field"),
    ];
    for (i, (colour, dashed, text)) in entries.iter().enumerate() {
        let x = MARGIN + i * 150;
        let dash = if *dashed {
            r#" stroke-dasharray="5,4""#
        } else {
            ""
        };
        let _ = write!(
            svg,
            r#"<line x1="{x}" y1="50" x2="{}" y2="50" stroke="{colour}" stroke-width="2"{dash}/><text x="{}" y="54" font-size="11">{text}</text>"#,
            x + 28,
            x + 34
        );
    }
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let kept: String = text.chars().take(max.saturating_sub(1)).collect();
        format!("{kept}…")
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters are not allowed in XML 1.0 text.
            c if c.is_control() && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chain_is_layered_by_depth_and_a_cycle_shares_a_layer() {
        // 0 → 1 → 2, and 3 ⇄ 4 → 0
        let (layer, group) = layers(5, &[(0, 1), (1, 2), (3, 4), (4, 3), (4, 0)]);
        assert_eq!(group[4], 3);
        assert_eq!(layer[2], 0);
        assert_eq!(layer[1], 1);
        assert_eq!(layer[0], 2);
        assert_eq!(layer[3], layer[4]);
        assert_eq!(layer[4], 3);
    }

    #[test]
    fn text_is_escaped_for_xml() {
        assert_eq!(escape("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot;");
    }
}
