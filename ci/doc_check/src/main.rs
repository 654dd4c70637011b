//! `doc_check [PATH]`: lists the public items of rustdoc's JSON output (default
//! `../../target/doc/steepest.json`) whose docs have no example, and exits 1 if there are any.
//! Enum variants and struct fields need docs (`missing_docs` checks that) but no example;
//! methods of trait impls take the trait's docs.

use std::process::ExitCode;

use serde_json::Value;

struct Walk<'a> {
    index: &'a serde_json::Map<String, Value>,
    seen: std::collections::HashSet<String>,
    missing: Vec<String>,
    checked: usize,
}

fn key(id: &Value) -> String {
    match id {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Walk<'_> {
    fn item(&self, id: &Value) -> Option<&Value> {
        self.index.get(&key(id))
    }

    fn check(&mut self, path: &str, item: &Value) {
        self.checked += 1;
        let docs = item.get("docs").and_then(Value::as_str).unwrap_or("");
        if !docs.contains("```") {
            self.missing.push(path.to_string());
        }
    }

    fn visit(&mut self, id: &Value, path: &str) {
        if !self.seen.insert(key(id)) {
            return;
        }
        let Some(item) = self.item(id).cloned() else {
            return;
        };
        let Some((kind, inner)) = item
            .get("inner")
            .and_then(Value::as_object)
            .and_then(|m| m.iter().next())
        else {
            return;
        };
        let name = item.get("name").and_then(Value::as_str);
        let here = match name {
            Some(n) if !path.is_empty() => format!("{path}::{n}"),
            Some(n) => n.to_string(),
            None => path.to_string(),
        };
        match kind.as_str() {
            "module" => {
                for c in inner["items"].as_array().into_iter().flatten() {
                    self.visit(c, &here);
                }
            }
            "use" => {
                if let Some(target) = inner.get("id").filter(|v| !v.is_null()) {
                    self.visit(target, path);
                }
            }
            "struct" | "enum" | "union" => {
                self.check(&here, &item);
                for imp in inner["impls"].as_array().into_iter().flatten() {
                    let Some(imp) = self.item(imp).and_then(|i| i["inner"].get("impl")).cloned()
                    else {
                        continue;
                    };
                    let from_trait = !imp["trait"].is_null();
                    let synthetic = imp["is_synthetic"].as_bool().unwrap_or(false);
                    if from_trait || synthetic || !imp["blanket_impl"].is_null() {
                        continue;
                    }
                    for m in imp["items"].as_array().into_iter().flatten() {
                        if let Some(mi) = self.item(m).cloned()
                            && mi["visibility"] == "public"
                        {
                            let n = mi["name"].as_str().unwrap_or("?");
                            self.check(&format!("{here}::{n}"), &mi);
                        }
                    }
                }
            }
            "trait" => {
                self.check(&here, &item);
                for m in inner["items"].as_array().into_iter().flatten() {
                    if let Some(mi) = self.item(m).cloned() {
                        let n = mi["name"].as_str().unwrap_or("?");
                        self.check(&format!("{here}::{n}"), &mi);
                    }
                }
            }
            "function" | "constant" | "static" | "type_alias" | "macro" => {
                self.check(&here, &item)
            }
            _ => {}
        }
    }
}

fn main() -> ExitCode {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "../../target/doc/steepest.json".into());
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("cannot read {path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let json: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("{path} is not JSON: {e}");
            return ExitCode::FAILURE;
        }
    };
    let Some(index) = json["index"].as_object() else {
        eprintln!("{path}: no index");
        return ExitCode::FAILURE;
    };
    let mut walk = Walk {
        index,
        seen: Default::default(),
        missing: Vec::new(),
        checked: 0,
    };
    walk.visit(&json["root"], "");
    if walk.missing.is_empty() {
        println!("all {} public items have an example", walk.checked);
        ExitCode::SUCCESS
    } else {
        println!("{} of {} public items have no example:", walk.missing.len(), walk.checked);
        for m in &walk.missing {
            println!("  {m}");
        }
        ExitCode::FAILURE
    }
}
