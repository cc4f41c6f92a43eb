//! Property tests: nothing panics on arbitrary input, cycle detection agrees
//! with a brute-force reachability check, and the calculation parser reads
//! back what it prints.

use std::collections::BTreeSet;

use form_observations::calc::{BinOp, DateCalc, DateOp, DateOperand, DateUnit, Expr, parse};
use form_observations::graph::find_cycles;
use form_observations::{FieldId, Form, GraphExport, diagnose, diagnose_json};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

// ---------- arbitrary JSON ----------

/// Keys a form uses, so random objects often look partly like forms.
const KEYS: [&str; 22] = [
    "id",
    "name",
    "fields",
    "type",
    "label",
    "section_heading",
    "sort",
    "logic",
    "action",
    "conditional",
    "checks",
    "field",
    "condition",
    "option",
    "options",
    "value",
    "calculation",
    "field_one_calculation",
    "field_two_calculation",
    "calculation_operator",
    "parent_tableheader_id",
    "parent_table_id",
];

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "[ -~]{0,12}".prop_map(Value::String),
        prop::sample::select(vec![
            "0",
            "1",
            "",
            "show",
            "hide",
            "all",
            "any",
            "equals",
            "[1] + 2",
            "section",
            "tablecell",
            "current_date"
        ])
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(5, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS.to_vec()), inner), 0..8).prop_map(
                |pairs| {
                    Value::Object(
                        pairs
                            .into_iter()
                            .map(|(k, v)| (k.to_owned(), v))
                            .collect::<Map<_, _>>(),
                    )
                }
            ),
        ]
    })
}

/// Runs every public entry point that takes a form.
fn exercise(form: &Form) {
    let report = diagnose(form);
    let total =
        report.summary.error + report.summary.warn + report.summary.info + report.summary.debug;
    assert_eq!(total, report.observations.len());
    let _ = report.to_text();
    let _ = serde_json::to_string(&report).expect("report serialises");
    let graph = GraphExport::build(form, &form_observations::Analysis::of_form(form));
    let _ = serde_json::to_string(&graph).expect("graph serialises");
    let svg = graph.to_svg();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
}

proptest! {
    #[test]
    fn arbitrary_json_never_panics(value in arbitrary_json()) {
        if let Ok(form) = Form::from_json_value(value.clone()) {
            exercise(&form);
        }
        // The same value as the single field of a form reaches field parsing.
        if let Ok(form) = Form::from_json_value(json!({ "id": 1, "fields": [value.clone(), value] })) {
            exercise(&form);
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,64}") {
        let _ = diagnose_json(&text);
        let _ = parse(&text);
    }
}

// ---------- generated forms ----------

const TYPES: [&str; 12] = [
    "text",
    "number",
    "checkbox",
    "select",
    "radio",
    "section",
    "datetime",
    "richtext",
    "table",
    "tableheader",
    "tablecell",
    "hologram",
];

fn id_value() -> impl Strategy<Value = Value> {
    // Ids 1..=12 exist; 13 and 14 dangle. Strings and numbers mixed.
    (1u32..=14, any::<bool>()).prop_map(|(n, as_text)| {
        if as_text {
            json!(n.to_string())
        } else {
            json!(n)
        }
    })
}

fn logic() -> impl Strategy<Value = Value> {
    let check = (
        id_value(),
        prop::sample::select(vec!["equals", "notequals", "greaterthan", "lessthan", "contains"]),
        prop::sample::select(vec!["a", "b", "1", "5", "Option 1", ""]),
    )
        .prop_map(|(field, condition, option)| json!({"field": field, "condition": condition, "option": option}));
    prop_oneof![
        Just(Value::Null),
        (prop::sample::select(vec!["show", "hide", "odd"]), prop::sample::select(vec!["all", "any"]), prop::collection::vec(check, 0..4))
            .prop_map(|(action, conditional, checks)| json!({"action": action, "conditional": conditional, "checks": checks})),
    ]
}

fn calculation() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        (1u32..=14).prop_map(|n| format!("[{n}]")),
        Just("+".to_owned()),
        Just("-".to_owned()),
        Just("*".to_owned()),
        Just("/".to_owned()),
        Just("(".to_owned()),
        Just(")".to_owned()),
        Just("2.5".to_owned()),
        Just("current_date".to_owned()),
    ];
    prop::collection::vec(token, 0..8).prop_map(|tokens| tokens.join(" "))
}

fn field(id: u32) -> impl Strategy<Value = Value> {
    (
        prop::sample::select(TYPES.to_vec()),
        prop::sample::select(vec!["A", "A ", "", " B", "C"]),
        0u32..20,
        logic(),
        prop::option::of(calculation()),
        prop::option::of(id_value()),
        prop::sample::select(vec![
            json!(""),
            json!([{"value": "a"}, {"value": "b"}]),
            json!([{"value": "a"}, {"value": "a"}]),
        ]),
    )
        .prop_map(move |(kind, label, sort, logic, calc, column, options)| {
            json!({
                "id": id, "type": kind, "label": label, "sort": sort.to_string(),
                "logic": logic, "calculation": calc.unwrap_or_default(),
                "parent_tableheader_id": column, "parent_table_id": column, "options": options,
                "min_value": "5", "max_value": "3",
            })
        })
}

fn generated_form() -> impl Strategy<Value = Value> {
    (1usize..=12)
        .prop_flat_map(|count| (1..=count as u32).map(field).collect::<Vec<_>>())
        .prop_map(|fields| json!({"id": "77", "name": "generated", "fields": fields}))
}

proptest! {
    #[test]
    fn generated_forms_never_panic_and_cycles_are_sound(value in generated_form()) {
        let form = Form::from_json_value(value).expect("generated forms are forms");
        exercise(&form);
        let report = diagnose(&form);
        for item in report.observations.iter().filter(|i| i.message.starts_with("Circular")) {
            let members = item.additional_details["cycleFieldIds"].as_array().map_or(0, Vec::len);
            prop_assert!(members >= 1);
            let known = |id: &str| FieldId::parse(id).is_some_and(|id| form.field(&id).is_some());
            prop_assert!(known(&item.subject_id));
        }
    }
}

// ---------- cycles against brute force ----------

fn small_graph() -> impl Strategy<Value = (usize, Vec<(usize, usize)>)> {
    (1usize..=8).prop_flat_map(|n| (Just(n), prop::collection::vec((0..n, 0..n), 0..20)))
}

/// Cycle groups by reachability: `i` and `j` are in one group when each
/// reaches the other by a path of at least one edge.
fn brute_force(n: usize, edges: &[(usize, usize)]) -> BTreeSet<BTreeSet<usize>> {
    let mut reach = vec![vec![false; n]; n];
    for &(a, b) in edges {
        reach[a][b] = true;
    }
    for k in 0..n {
        for i in 0..n {
            for j in 0..n {
                if reach[i][k] && reach[k][j] {
                    reach[i][j] = true;
                }
            }
        }
    }
    (0..n)
        .filter(|&i| reach[i][i])
        .map(|i| (0..n).filter(|&j| reach[i][j] && reach[j][i]).collect())
        .collect()
}

proptest! {
    #[test]
    fn scc_cycles_agree_with_brute_force((n, edges) in small_graph()) {
        let cycles = find_cycles(n, &edges);
        let ours: BTreeSet<BTreeSet<usize>> = cycles.iter().map(|c| c.members.iter().copied().collect()).collect();
        prop_assert_eq!(ours.len(), cycles.len(), "no group reported twice");
        prop_assert_eq!(ours, brute_force(n, &edges));
        for cycle in &cycles {
            // The example loop is a real closed walk inside the group.
            prop_assert_eq!(cycle.path.first(), cycle.members.first());
            prop_assert_eq!(cycle.path.last(), cycle.members.first());
            prop_assert!(cycle.path.len() >= 2);
            for step in cycle.path.windows(2) {
                prop_assert!(edges.contains(&(step[0], step[1])));
                prop_assert!(cycle.members.contains(&step[1]));
            }
        }
    }
}

// ---------- parser round trip ----------

fn field_id() -> impl Strategy<Value = FieldId> {
    prop_oneof!["[1-9][0-9]{0,11}", "f[a-z0-9_]{0,6}"]
        .prop_filter_map("valid id", |s: String| FieldId::parse(&s))
}

fn date_operand() -> impl Strategy<Value = DateOperand> {
    prop_oneof![
        field_id().prop_map(DateOperand::Field),
        Just(DateOperand::CurrentDate)
    ]
}

fn expr() -> impl Strategy<Value = Expr> {
    let number = any::<f64>()
        .prop_filter("printable literal", |f| {
            f.is_finite() && f.is_sign_positive()
        })
        .prop_map(Expr::Number);
    let date = (
        date_operand(),
        date_operand(),
        prop::sample::select(vec![DateOp::Plus, DateOp::Minus]),
        prop::sample::select(vec![
            DateUnit::Minutes,
            DateUnit::Hours,
            DateUnit::Days,
            DateUnit::Weeks,
            DateUnit::Months,
            DateUnit::Years,
        ]),
    )
        .prop_map(|(first, second, op, unit)| {
            Expr::DateCalc(DateCalc {
                first,
                second,
                op,
                unit,
            })
        });
    let leaf = prop_oneof![
        number,
        (0u32..1000).prop_map(|n| Expr::Number(f64::from(n))),
        field_id().prop_map(Expr::Field),
        Just(Expr::CurrentDate),
        date,
    ];
    leaf.prop_recursive(6, 48, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|e| Expr::Neg(Box::new(e))),
            (
                prop::sample::select(vec![BinOp::Add, BinOp::Sub, BinOp::Mul, BinOp::Div]),
                inner.clone(),
                inner
            )
                .prop_map(|(op, lhs, rhs)| Expr::Binary {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs)
                }),
        ]
    })
}

proptest! {
    #[test]
    fn the_parser_reads_back_what_it_prints(tree in expr()) {
        let printed = tree.to_string();
        prop_assert_eq!(parse(&printed), Ok(tree), "printed as {}", printed);
    }

    #[test]
    fn whatever_parses_prints_to_something_that_parses_the_same(text in "[\\[\\]0-9 .()+*/,'a-z_-]{0,24}") {
        if let Ok(tree) = parse(&text) {
            prop_assert_eq!(parse(&tree.to_string()), Ok(tree));
        }
    }
}
