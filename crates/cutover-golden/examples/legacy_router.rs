//! `golden-legacy-router`: the legacy agent router of the example corpus (`examples/golden/`),
//! modelled on requirement 000: pick an agent for a prompt by its trigger words, or take the
//! agent the user asked for.
//!
//! It speaks cutover's JSON-lines protocol: a request `{"scenario", "step", "seed", "input"}` per
//! line in, one output line out:
//! `{"selected_agent", "routing_policy", "confidence", "candidates", "trace_id"}`.
//!
//! Rules: an explicit agent (any case) wins with confidence 1.0; otherwise words of the prompt
//! that equal a trigger count as hits, the agent with the most hits wins (ties go to the agent
//! listed first), and confidence is 0.6 for one hit plus 0.1 per further hit, at most 0.95. No
//! hit: `general-assistant` by `fallback_default`, except later in a session, where the previous
//! agent is kept (`session_continuation`).

use serde_json::{Value, json};

#[path = "routing.rs"]
mod routing;
use routing::{AGENTS, Request, words};

fn route(req: &Request, last: &mut Option<String>) -> Value {
    let trace_id = format!("legacy-{:016x}", req.seed);
    if req.step == 0 {
        *last = None;
    }
    if let Some(asked) = &req.input.explicit_agent {
        let asked = asked.trim().to_lowercase();
        if AGENTS.iter().any(|(name, _)| *name == asked) {
            *last = Some(asked.clone());
            return json!({
                "selected_agent": asked,
                "routing_policy": "explicit_request",
                "confidence": 1.0,
                "candidates": [asked],
                "trace_id": trace_id,
            });
        }
    }
    let words = words(&req.input.prompt);
    let mut scored: Vec<(usize, &str)> = AGENTS
        .iter()
        .map(|(name, triggers)| {
            let hits = words
                .iter()
                .filter(|w| triggers.contains(&w.as_str()))
                .count();
            (hits, *name)
        })
        .filter(|(hits, _)| *hits > 0)
        .collect();
    // Stable sort: ties keep the order of AGENTS.
    scored.sort_by_key(|s| std::cmp::Reverse(s.0));
    let candidates: Vec<&str> = scored.iter().map(|(_, name)| *name).collect();
    let Some(&(hits, best)) = scored.first() else {
        if let Some(previous) = last.clone() {
            return json!({
                "selected_agent": previous,
                "routing_policy": "session_continuation",
                "confidence": 0.55,
                "candidates": [],
                "trace_id": trace_id,
            });
        }
        return json!({
            "selected_agent": "general-assistant",
            "routing_policy": "fallback_default",
            "confidence": 0.5,
            "candidates": [],
            "trace_id": trace_id,
        });
    };
    *last = Some(best.to_owned());
    let percent = (60 + 10 * (hits - 1)).min(95);
    json!({
        "selected_agent": best,
        "routing_policy": "trigger_match",
        "confidence": percent as f64 / 100.0,
        "candidates": candidates,
        "trace_id": trace_id,
    })
}

fn main() {
    routing::serve(route);
}
