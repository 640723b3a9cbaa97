//! `examfn run probe`: a tiny function used by the runtime's end-to-end tests
//! (a real process on the Kafka transport that can be SIGKILLed). It appends
//! the id of every event it handled to `PROBE_OUT` and reacts to the event's
//! data: `{"poison": true}` is malformed input, `{"fail_times": N}` fails as
//! unavailable N times per process before it succeeds, `{"sleep_ms": N}`
//! takes that long.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use examfn_runtime::cloudevents::{AttributesReader, Event};
use examfn_runtime::{event, CommonConfig, Env, FnError, Handler, Outcome, Service};

struct Probe {
    out: Mutex<std::fs::File>,
    failures: Mutex<HashMap<String, u64>>,
}

impl Handler for Probe {
    async fn handle(&self, ev: Event) -> Result<Outcome, FnError> {
        let v: serde_json::Value = event::data_json(&ev)?;
        if v["poison"].as_bool() == Some(true) {
            return Err(FnError::bad_input("poison record"));
        }
        if let Some(n) = v["sleep_ms"].as_u64() {
            tokio::time::sleep(Duration::from_millis(n)).await;
        }
        if let Some(n) = v["fail_times"].as_u64() {
            let mut f = self.failures.lock().unwrap();
            let c = f.entry(ev.id().to_string()).or_default();
            if *c < n {
                *c += 1;
                return Err(FnError::unavailable(format!("flaky dependency ({c}/{n})")));
            }
        }
        let line = format!("{} {}\n", ev.id(), v["seq"]);
        let mut out = self.out.lock().unwrap();
        out.write_all(line.as_bytes()).map_err(|e| FnError::unavailable(e.to_string()))?;
        out.flush().map_err(|e| FnError::unavailable(e.to_string()))?;
        Ok(Outcome::done(serde_json::json!({"seq": v["seq"]})))
    }
}

pub fn main() -> anyhow::Result<()> {
    let env = Env::from_process();
    let common = CommonConfig::from_env(&env, None, "probe")?;
    let out_path = env.required("PROBE_OUT")?;
    examfn_runtime::telemetry::init(common.log_format, &common.log_filter);
    let out = std::fs::OpenOptions::new().create(true).append(true).open(out_path)?;
    let probe = Arc::new(Probe { out: Mutex::new(out), failures: Mutex::new(HashMap::new()) });
    examfn_runtime::server::block_on_configured(&common.clone(), async move {
        examfn_runtime::serve(&common, Service::new("probe", probe)).await
    })?;
    Ok(())
}
