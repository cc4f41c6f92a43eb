//! What a field's visibility depends on.
//!
//! A field's visibility depends on the fields its own checks name, and on
//! the visibility of its container: the section it sits in (section logic
//! applies to every later field in sort order until the next section) and,
//! for table columns and cells, the table. Containers are kept as nodes of
//! their own (field → section → fields the section checks) rather than
//! copying their checks onto each child, so that a section whose logic
//! depends on its own children shows up *in* the cycle it causes.

use crate::graph::{Dangling, Dependency, EdgeKind, Family};
use crate::model::{Field, FieldType, Form};

/// Position of the section each field sits in (`None` before the first
/// section and for sections themselves).
pub fn sections(form: &Form) -> Vec<Option<usize>> {
    let mut current = None;
    form.fields
        .iter()
        .enumerate()
        .map(|(position, field)| {
            if field.kind.is_section() {
                current = Some(position);
                None
            } else {
                current
            }
        })
        .collect()
}

fn has_checks(field: &Field) -> bool {
    field
        .logic
        .as_ref()
        .is_some_and(|logic| !logic.checks.is_empty())
}

/// Every visibility dependency in the form, plus the checks that name fields
/// the form does not have.
pub fn dependencies(form: &Form) -> (Vec<Dependency>, Vec<Dangling>) {
    let mut edges = Vec::new();
    let mut dangling = Vec::new();
    let section_of = sections(form);
    for (position, field) in form.fields.iter().enumerate() {
        if let Some(logic) = &field.logic {
            for check in &logic.checks {
                let Some(target) = &check.field else {
                    continue;
                };
                match form.position(target) {
                    Some(to) => edges.push(Dependency {
                        from: position,
                        to,
                        kind: EdgeKind::Logic,
                    }),
                    None => dangling.push(Dangling {
                        from: position,
                        to: target.clone(),
                        family: Family::Logic,
                    }),
                }
            }
        }
        // Containers without logic cannot hide anything, so an edge to them
        // would only add noise to the graph.
        if let Some(section) = section_of[position]
            && form.fields.get(section).is_some_and(has_checks)
        {
            edges.push(Dependency {
                from: position,
                to: section,
                kind: EdgeKind::Section,
            });
        }
        let table = field
            .table
            .as_ref()
            .and_then(|link| link.table.as_ref())
            .and_then(|id| form.position(id));
        if let Some(table) = table
            && table != position
            && form
                .fields
                .get(table)
                .is_some_and(|t| t.kind == FieldType::Table && has_checks(t))
        {
            edges.push(Dependency {
                from: position,
                to: table,
                kind: EdgeKind::Table,
            });
        }
    }
    dedup(&mut edges);
    dedup_dangling(&mut dangling);
    (edges, dangling)
}

/// A check repeated (even once as a string id and once as a number) is one
/// dependency, not two.
pub(crate) fn dedup(edges: &mut Vec<Dependency>) {
    let mut seen = std::collections::HashSet::new();
    edges.retain(|edge| seen.insert((edge.from, edge.to, edge.kind)));
}

pub(crate) fn dedup_dangling(dangling: &mut Vec<Dangling>) {
    let mut seen = std::collections::HashSet::new();
    dangling.retain(|d| seen.insert((d.from, d.to.clone(), d.family)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn form(fields: serde_json::Value) -> Form {
        Form::from_json_value(json!({ "id": 1, "fields": fields })).expect("a form")
    }

    fn check(field: serde_json::Value) -> serde_json::Value {
        json!({"action": "show", "conditional": "all",
               "checks": [{"field": field, "condition": "equals", "option": "x"}]})
    }

    #[test]
    fn section_logic_reaches_every_later_field_until_the_next_section() {
        let form = form(json!([
            {"id": 1, "type": "text", "sort": 1},
            {"id": 2, "type": "section", "sort": 2, "logic": check(json!(1))},
            {"id": 3, "type": "text", "sort": 3},
            {"id": 4, "type": "text", "sort": 4},
            {"id": 5, "type": "section", "sort": 5},
            {"id": 6, "type": "text", "sort": 6}
        ]));
        let (edges, dangling) = dependencies(&form);
        let section_edges: Vec<_> = edges
            .iter()
            .filter(|e| e.kind == EdgeKind::Section)
            .map(|e| (e.from, e.to))
            .collect();
        assert_eq!(section_edges, vec![(2, 1), (3, 1)]);
        assert!(dangling.is_empty());
    }

    #[test]
    fn a_check_repeated_with_string_and_number_ids_is_one_edge() {
        let form = form(json!([
            {"id": 1, "type": "text", "sort": 1, "logic": {"checks": [
                {"field": "2", "condition": "equals", "option": "a"},
                {"field": 2, "condition": "equals", "option": "a"}]}},
            {"id": 2, "type": "text", "sort": 2}
        ]));
        assert_eq!(dependencies(&form).0.len(), 1);
    }

    #[test]
    fn missing_targets_are_dangling_not_edges() {
        let form = form(json!([{"id": 1, "type": "text", "logic": check(json!(999))}]));
        let (edges, dangling) = dependencies(&form);
        assert!(edges.is_empty());
        assert_eq!(dangling[0].to.as_str(), "999");
    }
}
