//! How facts link up (SPEC §3): a component's project and host from its name, and
//! `config_job` rows folded into the components they configure.

use super::{Component, ConfigJob, SettingOrigin, SourceSetting};

/// The project id token of a component name:
/// `10.0.0.1-9000:connector_v2:p_4ctqmcbkvaps-incr_trans-1-0:0000000001` → `p_4ctqmcbkvaps`.
pub fn project_id_of(name: &str) -> Option<String> {
    name.split([':', '-', '/', ' '])
        .find(|t| {
            t.len() > 2
                && t.starts_with("p_")
                && t[2..]
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        })
        .map(str::to_string)
}

/// The IPv4 address that starts a component name.
pub fn host_ip_of(name: &str) -> Option<String> {
    let head = name.split(['-', ':', '_', '/']).next()?;
    head.parse::<std::net::Ipv4Addr>()
        .ok()
        .map(|_| head.to_string())
}

/// Adds every `config_job` source setting to the component it names, creating components
/// the files did not have. A setting from a file wins: it is what the component runs with.
pub fn merge_config_jobs(components: &mut Vec<Component>, jobs: &[ConfigJob], prefix: &str) {
    for job in jobs {
        let Some(setting) = job.key.strip_prefix(prefix) else {
            continue;
        };
        let idx = match components.iter().position(|c| c.name == job.job_name) {
            Some(i) => i,
            None => {
                components.push(Component {
                    name: job.job_name.clone(),
                    project_id: project_id_of(&job.job_name),
                    host_ip: host_ip_of(&job.job_name),
                    ..Default::default()
                });
                components.len() - 1
            }
        };
        let Some(value) = job.value.clone() else {
            continue;
        };
        components[idx]
            .source
            .entry(setting.to_string())
            .or_insert(SourceSetting {
                value,
                origin: SettingOrigin::ConfigJob(job.id.clone()),
            });
    }
    components.sort_by(|a, b| a.name.cmp(&b.name));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn component_names_give_project_and_host() {
        let n = "10.0.0.1-9000:connector_v2:p_4ctqmcbkvaps-incr_trans-1-0:0000000001";
        assert_eq!(project_id_of(n).as_deref(), Some("p_4ctqmcbkvaps"));
        assert_eq!(host_ip_of(n).as_deref(), Some("10.0.0.1"));
        assert_eq!(project_id_of("store_1-2"), None);
        assert_eq!(host_ip_of("connector:p_1"), None);
    }

    #[test]
    fn config_job_rows_join_their_component() {
        let mut comps = vec![Component {
            name: "10.0.0.1-9000:connector_v2:p_a-incr_trans-1-0:1".into(),
            ..Default::default()
        }];
        let jobs = vec![
            ConfigJob {
                id: "1".into(),
                job_name: comps[0].name.clone(),
                key: "sourceFile.dbType".into(),
                value: Some("OB_MYSQL".into()),
            },
            ConfigJob {
                id: "2".into(),
                job_name: "10.0.0.2-9000:connector_v2:p_b-incr_trans-1-0:1".into(),
                key: "sourceFile.blackRegionNo".into(),
                value: Some("3".into()),
            },
            ConfigJob {
                id: "3".into(),
                job_name: comps[0].name.clone(),
                key: "sinkFile.x".into(),
                value: Some("y".into()),
            },
        ];
        merge_config_jobs(&mut comps, &jobs, "sourceFile.");
        assert_eq!(comps.len(), 2);
        assert_eq!(comps[0].source["dbType"].value, "OB_MYSQL");
        assert!(!comps[0].source.contains_key("x"));
        assert_eq!(comps[1].project_id.as_deref(), Some("p_b"));
    }
}
