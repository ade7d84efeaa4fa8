//! After a crash or a shutdown: every acknowledged message is in its conversation's transcript
//! exactly once, and no message text appears twice.

use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Default)]
pub struct Check {
    pub acknowledged: usize,
    pub missing: usize,
    pub doubled: usize,
}

impl Check {
    pub fn passed(&self) -> bool {
        self.missing == 0 && self.doubled == 0
    }
}

pub async fn transcripts(
    client: &reqwest::Client,
    address: &str,
    acknowledged: &[(String, String)],
) -> Check {
    let mut by_conversation: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (id, text) in acknowledged {
        by_conversation.entry(id).or_default().push(text);
    }
    let mut check = Check {
        acknowledged: acknowledged.len(),
        ..Check::default()
    };
    for (id, texts) in by_conversation {
        let counts = customer_texts(client, address, id).await;
        check.doubled += counts.values().filter(|n| **n > 1).count();
        check.missing += texts.iter().filter(|t| !counts.contains_key(**t)).count();
    }
    check
}

/// How often each customer message text appears in the conversation's transcript.
async fn customer_texts(
    client: &reqwest::Client,
    address: &str,
    id: &str,
) -> HashMap<String, usize> {
    let transcript: serde_json::Value = client
        .get(format!("{address}/v1/conversations/{id}"))
        .send()
        .await
        .expect("transcript request")
        .json()
        .await
        .expect("transcript JSON");
    let mut counts = HashMap::new();
    for event in transcript["events"].as_array().into_iter().flatten() {
        if event["type"] == "customer_message"
            && let Some(text) = event["text"].as_str()
        {
            *counts.entry(text.to_string()).or_insert(0) += 1;
        }
    }
    counts
}
