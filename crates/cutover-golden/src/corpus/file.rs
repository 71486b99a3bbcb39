//! The on-disk shape of one scenario (a `.json` file, or one line of a `.jsonl` file) and how it
//! is written back.
//!
//! Inputs and expectations are kept as the exact text they were read from (`RawValue`), so
//! recording an output rewrites nothing else: no key reordering, no reformatted numbers.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

use super::scenario::{Scenario, Shape, Spelling, Step};
use crate::expect::Expectations;

/// Keeps `"recorded": null` (a subject may answer `null`) apart from a missing key.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Box<RawValue>>, D::Error> {
    Box::<RawValue>::deserialize(d).map(Some)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepDoc {
    input: Box<RawValue>,
    #[serde(default)]
    expect: Option<Box<RawValue>>,
    #[serde(default, deserialize_with = "present")]
    recorded: Option<Box<RawValue>>,
}

/// A scenario with steps (`steps`, or `turns` as requirement-style files say), or a single case
/// with its `input` at the top.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioDoc {
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default, alias = "sessionSeed")]
    seed: Option<u64>,
    #[serde(default, deserialize_with = "present")]
    input: Option<Box<RawValue>>,
    #[serde(default)]
    expect: Option<Box<RawValue>>,
    #[serde(default, deserialize_with = "present")]
    recorded: Option<Box<RawValue>>,
    #[serde(default, alias = "turns")]
    steps: Option<Vec<StepDoc>>,
}

fn step(
    input: Box<RawValue>,
    expect: Option<Box<RawValue>>,
    recorded: Option<Box<RawValue>>,
) -> Result<Step, String> {
    let parse =
        |raw: &RawValue| serde_json::from_str::<Value>(raw.get()).map_err(|e| e.to_string());
    let expectations = match &expect {
        Some(raw) => Expectations::parse(&parse(raw)?)?,
        None => Expectations::default(),
    };
    let value = parse(&input)?;
    let input_line = if input.get().contains(['\n', '\r']) {
        Some(serde_json::value::to_raw_value(&value).map_err(|e| e.to_string())?)
    } else {
        None
    };
    Ok(Step {
        input: value,
        input_raw: input,
        input_line,
        expect: expectations,
        expect_raw: expect,
        recorded: recorded.as_deref().map(parse).transpose()?,
    })
}

/// Which top-level keys a scenario used, so that a requirement-style file keeps its spelling.
#[derive(Deserialize)]
struct Keys {
    #[serde(default)]
    turns: Option<serde::de::IgnoredAny>,
    #[serde(default, rename = "sessionSeed")]
    session_seed: Option<serde::de::IgnoredAny>,
}

fn spelling(text: &str) -> Spelling {
    // Most cases use neither alias; skip the second parse for them.
    if !text.contains("\"turns\"") && !text.contains("\"sessionSeed\"") {
        return Spelling::default();
    }
    serde_json::from_str::<Keys>(text).map_or(Spelling::default(), |k| Spelling {
        turns: k.turns.is_some(),
        session_seed: k.session_seed.is_some(),
    })
}

/// Parses one scenario from its text. The error is a sentence without the file name.
pub(super) fn parse(text: &str, line: usize) -> Result<Scenario, String> {
    let doc: ScenarioDoc = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if doc.name.trim().is_empty() {
        return Err("the scenario name is empty".to_owned());
    }
    let (shape, steps) = match (doc.input, doc.steps) {
        (Some(input), None) => (Shape::Case, vec![step(input, doc.expect, doc.recorded)?]),
        (None, Some(steps)) => {
            if doc.expect.is_some() || doc.recorded.is_some() {
                return Err(format!(
                    "scenario {:?} has steps, so `expect` and `recorded` belong in each step",
                    doc.name
                ));
            }
            if steps.is_empty() {
                return Err(format!("scenario {:?} has no steps", doc.name));
            }
            let steps = steps
                .into_iter()
                .enumerate()
                .map(|(i, s)| {
                    step(s.input, s.expect, s.recorded)
                        .map_err(|why| format!("scenario {:?}, step {}: {why}", doc.name, i + 1))
                })
                .collect::<Result<Vec<_>, _>>()?;
            (Shape::Steps, steps)
        }
        (Some(_), Some(_)) => {
            return Err(format!(
                "scenario {:?} has both `input` and `steps`; a case has one input, a scenario a list of steps",
                doc.name
            ));
        }
        (None, None) => {
            return Err(format!(
                "case {:?} has neither `input` nor `steps`",
                doc.name
            ));
        }
    };
    let seed = doc
        .seed
        .unwrap_or_else(|| xxhash_rust::xxh3::xxh3_64(doc.name.as_bytes()));
    Ok(Scenario {
        name: doc.name,
        description: doc.description,
        seed,
        explicit_seed: doc.seed,
        steps,
        shape,
        spelling: spelling(text),
        line,
        original: text.to_owned(),
    })
}

#[derive(Serialize)]
struct StepOut<'a> {
    input: &'a RawValue,
    #[serde(skip_serializing_if = "Option::is_none")]
    expect: Option<&'a RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    recorded: Option<&'a Value>,
}

#[derive(Serialize)]
struct ScenarioOut<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seed: Option<u64>,
    #[serde(rename = "sessionSeed", skip_serializing_if = "Option::is_none")]
    session_seed: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    input: Option<&'a RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expect: Option<&'a RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    recorded: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    steps: Option<Vec<StepOut<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    turns: Option<Vec<StepOut<'a>>>,
}

/// The scenario's text with `recorded` as given per step (`None` keeps a step's recording).
pub(super) fn render(
    scenario: &Scenario,
    recorded: &[Option<&Value>],
    pretty: bool,
) -> Result<String, serde_json::Error> {
    let pick = |i: usize| {
        recorded
            .get(i)
            .copied()
            .flatten()
            .or(scenario.steps[i].recorded.as_ref())
    };
    let (seed, session_seed) = if scenario.spelling.session_seed {
        (None, scenario.explicit_seed)
    } else {
        (scenario.explicit_seed, None)
    };
    let mut out = ScenarioOut {
        name: &scenario.name,
        description: scenario.description.as_deref(),
        seed,
        session_seed,
        input: None,
        expect: None,
        recorded: None,
        steps: None,
        turns: None,
    };
    match scenario.shape {
        Shape::Case => {
            let s = &scenario.steps[0];
            out.input = Some(&s.input_raw);
            out.expect = s.expect_raw.as_deref();
            out.recorded = pick(0);
        }
        Shape::Steps => {
            let steps = scenario
                .steps
                .iter()
                .enumerate()
                .map(|(i, s)| StepOut {
                    input: &s.input_raw,
                    expect: s.expect_raw.as_deref(),
                    recorded: pick(i),
                })
                .collect();
            if scenario.spelling.turns {
                out.turns = Some(steps);
            } else {
                out.steps = Some(steps);
            }
        }
    }
    if pretty {
        serde_json::to_string_pretty(&out)
    } else {
        let mut line = Vec::new();
        out.serialize(&mut serde_json::Serializer::with_formatter(
            &mut line, Spaced,
        ))?;
        // serde_json writes UTF-8 only.
        Ok(String::from_utf8_lossy(&line).into_owned())
    }
}

/// One line, with a space after `,` and `:`, as corpora are usually written by hand (and by
/// Python's `json.dumps`), so a recorded line reads like its neighbours.
struct Spaced;

impl serde_json::ser::Formatter for Spaced {
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
    ) -> std::io::Result<()> {
        writer.write_all(b": ")
    }
}
