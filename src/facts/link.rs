//! How facts link up (SPEC §3): a component's project and host from its name, and
//! `config_job` rows folded into the components they configure.

use super::fxhash::FxHashMap;
use super::Component;
#[cfg(test)]
use super::{SettingOrigin, SourceSetting};

/// The project id token of a component name:
/// `10.0.0.1-9000:connector_v2:p_4ctqmcbkvaps-incr_trans-1-0:0000000001` → `p_4ctqmcbkvaps`.
pub fn project_id_of(name: &str) -> Option<&str> {
    name.split([':', '-', '/', ' ']).find(|t| {
        t.len() > 2
            && t.starts_with("p_")
            && t[2..]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    })
}

/// The IPv4 address that starts a component name.
pub fn host_ip_of(name: &str) -> Option<&str> {
    let head = name.split(['-', ':', '_', '/']).next()?;
    head.parse::<std::net::Ipv4Addr>().ok().map(|_| head)
}

/// Folds the components `config_job` describes into those read from files: a setting
/// from a file wins (it is what the component runs with), the rest are added, and
/// components only `config_job` knows join the list.
pub fn merge_job_components(components: &mut Vec<Component>, jobs: Vec<Component>) {
    components.reserve(jobs.len());
    let mut index: FxHashMap<String, usize> = components
        .iter()
        .enumerate()
        .map(|(i, c)| (c.name.clone(), i))
        .collect();
    for job in jobs {
        match index.get(&job.name) {
            Some(&i) => {
                for (k, v) in job.source.iter() {
                    components[i].source.insert_if_absent(k, v.clone());
                }
            }
            None => {
                index.insert(job.name.clone(), components.len());
                components.push(job);
            }
        }
    }
    // Names are unique here (the index above), so an unstable sort gives one order.
    components.sort_unstable_by(|a, b| a.name.cmp(&b.name));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn component_names_give_project_and_host() {
        let n = "10.0.0.1-9000:connector_v2:p_4ctqmcbkvaps-incr_trans-1-0:0000000001";
        assert_eq!(project_id_of(n), Some("p_4ctqmcbkvaps"));
        assert_eq!(host_ip_of(n), Some("10.0.0.1"));
        assert_eq!(project_id_of("store_1-2"), None);
        assert_eq!(host_ip_of("connector:p_1"), None);
    }

    #[test]
    fn job_components_join_file_components() {
        let setting = |v: &str, origin: SettingOrigin| SourceSetting {
            value: v.into(),
            origin,
        };
        let name = "10.0.0.1-9000:connector_v2:p_a-incr_trans-1-0:1".to_string();
        let mut file = Component {
            name: name.clone(),
            ..Default::default()
        };
        let span = SettingOrigin::File(Box::new(crate::facts::Span {
            path: "source.json".into(),
            line: 2,
            column: 3,
        }));
        file.source.insert("dbType", setting("MYSQL", span.clone()));
        let mut comps = vec![file];
        let mut job = Component {
            name,
            ..Default::default()
        };
        job.source
            .insert("dbType", setting("OB_MYSQL", SettingOrigin::ConfigJob(1)));
        job.source
            .insert("checkpoint", setting("{}", SettingOrigin::ConfigJob(2)));
        let other = Component {
            name: "10.0.0.2-9000:connector_v2:p_b-incr_trans-1-0:1".into(),
            ..Default::default()
        };
        merge_job_components(&mut comps, vec![job, other]);
        assert_eq!(comps.len(), 2);
        assert_eq!(&*comps[0].source["dbType"].value, "MYSQL");
        assert_eq!(comps[0].source["dbType"].origin, span);
        assert_eq!(
            comps[0].source["checkpoint"].origin,
            SettingOrigin::ConfigJob(2)
        );
    }
}
