//! How facts link up (SPEC §3): a component's project and host from its name, and
//! `config_job` rows folded into the components they configure.

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
/// components only `config_job` knows join the list, sorted by name.
///
/// A large MetaDB describes hundreds of thousands of components and the files a handful,
/// so the job components are sorted once and the file components found in them by
/// binary search, rather than every job name cloned into an index.
pub fn merge_job_components(components: &mut Vec<Component>, mut jobs: Vec<Component>) {
    // Stable: of two regions' rows for one job, the first read wins, as with files. Each
    // source sorted its own already (`FactsBuilder::end_first_pass`): this merges runs.
    jobs.sort_by(|a, b| a.name.cmp(&b.name));
    jobs.dedup_by(|later, first| {
        if later.name != first.name {
            return false;
        }
        for (k, v) in later.source.iter() {
            first.source.insert_if_absent(k, v.clone());
        }
        true
    });
    let mut unmatched = Vec::new();
    for file in std::mem::take(components) {
        match jobs.binary_search_by(|j| j.name.as_str().cmp(&file.name)) {
            // Still a job-only entry (two file components of one name: the first takes it).
            Ok(i) if jobs[i].dir.is_none() && jobs[i].source_file.is_none() => {
                let job = std::mem::replace(&mut jobs[i], file);
                for (k, v) in job.source.iter() {
                    jobs[i].source.insert_if_absent(k, v.clone());
                }
            }
            _ => unmatched.push(file),
        }
    }
    jobs.extend(unmatched);
    // Nearly sorted already: the stable sort finds the runs and merges them.
    jobs.sort_by(|a, b| a.name.cmp(&b.name));
    *components = jobs;
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
            name: name.clone(),
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
        let mut other_region = Component {
            name: name.clone(),
            ..Default::default()
        };
        other_region.source.insert(
            "checkpoint",
            setting("{\"late\"}", SettingOrigin::ConfigJob(9)),
        );
        other_region
            .source
            .insert("ignoreDdl", setting("true", SettingOrigin::ConfigJob(10)));
        merge_job_components(&mut comps, vec![other, job, other_region]);
        assert_eq!(comps.len(), 2);
        assert_eq!(&*comps[0].source["ignoreDdl"].value, "true");
        assert_eq!(
            &*comps[0].source["checkpoint"].value, "{}",
            "the first job row wins"
        );
        assert!(comps[1].name.contains("p_b"));
        assert_eq!(&*comps[0].source["dbType"].value, "MYSQL");
        assert_eq!(comps[0].source["dbType"].origin, span);
        assert_eq!(
            comps[0].source["checkpoint"].origin,
            SettingOrigin::ConfigJob(2)
        );
    }
}
