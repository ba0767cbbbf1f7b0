-- The guides' manual prechecks, as bench/manual-path.sh runs them (one query per client call).
-- Source: "Upgrade OMS to V4.2.3 from V3.2.1 or a version later than V3.2.1 and earlier than
-- V4.0.2", Prerequisites; plus the heartbeat row count and the HA switch the runbook reads.
-- Not executed as a file: kept here for reference next to bench/manual-path.sh.
SELECT project_name,count(*) AS count,group_concat(id) AS ids FROM oms_project WHERE project_status != "DELETED" GROUP BY project_name HAVING count(*) > 1;
SELECT project_name,count(*) AS count,group_concat(id) AS ids FROM oms_sync_project WHERE project_status != "DELETED" GROUP BY project_name HAVING count(*) > 1;
SELECT * FROM config_job WHERE `key`='sourceFile.blackRegionNo' AND VALUE!=1;  -- 1 = cm_location
SELECT count(*) FROM heatbeat_sequence;
SELECT cfg_value FROM oms_normal_config WHERE cfg_name='ha.config';
