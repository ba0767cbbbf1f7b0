-- Synthetic OMS MetaDB content for the omslint benchmark.
-- Placeholders (replaced by bench/generate.sh): {{N}} projects, {{NS}} sync projects
-- (N/4), {{NC}} Incr-Sync components (N/8), {{NR}} config_job rows (4 per component),
-- {{M}} heartbeat rows, {{SHAPE}} the shape (generate.sh --shape).
-- Every row is made by INSERT ... SELECT from the sequence engine, so nothing but the
-- server does the work. The data is deterministic: the same sizes and shape give the same
-- dumps.
--
-- Shapes (only the statements that test @shape differ):
--   findings    many findings: 2.4 % of oms_project and 4 % of oms_sync_project not ready
--               (OMS014), N/8 Incr-Sync components, blackRegionNo = 2 for 1 in 5000 of them.
--   components  few findings, many components: 0.08 % of each project table not ready,
--               N/4 Incr-Sync components (odd k -> migration project 4k, even k -> sync
--               project k, so every component names an existing project), blackRegionNo = 2
--               for 1 in 10000 of them; oms_project has DELETED 22 % (findings: 20 %).
SET SESSION unique_checks = 0, foreign_key_checks = 0, sql_log_bin = 0;
SET SESSION sql_mode = 'STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION';
SET @shape = '{{SHAPE}}';
SET @components = (@shape = 'components');
-- config_job: component k names migration project k * @mig_stride (k odd) or sync project
-- k * @sync_stride (k even); 1 in @black_every components has blackRegionNo = 2.
SET @mig_stride = IF(@components, 4, 8), @sync_stride = IF(@components, 1, 2),
    @black_every = IF(@components, 10000, 5000);

-- ===================================================================== rm_bench
USE rm_bench;

-- ~1000 data sources; a few read through oblogproxy.
INSERT INTO oms_datasource (id, name, type, conn_extra_attributes)
SELECT CONCAT('ds_', LPAD(LOWER(CONV((seq) * 1181783497 MOD 78364164096, 10, 36)), 7, '0')),
       CONCAT(LOWER(typ), '_', ELT(1 + (seq DIV 10) % 5, 'hz', 'sh', 'bj', 'sz', 'cd'), '_',
              LPAD(seq, 4, '0')),
       typ,
       CASE WHEN seq % 100 = 42
            THEN CONCAT('{"useLogProxy": true, "logProxyIp": "10.0.1.', seq % 250, '", "logProxyPort": 2983}')
            WHEN seq % 3 = 0 THEN NULL
            ELSE CONCAT('{"connectTimeout": 3000, "useSSL": false, "charset": "utf8mb4", "tenant": "t', seq % 40, '"}')
       END
FROM (SELECT seq, ELT(1 + seq % 10, 'OB_MYSQL', 'MYSQL', 'OB_MYSQL', 'OB_ORACLE', 'ORACLE',
                        'OB_MYSQL', 'POSTGRESQL', 'MYSQL', 'KAFKA', 'DB2_LUW') AS typ
      FROM seq_1_to_1000) d;

-- Data migration projects. Names are unique by construction, except ~0.1% that repeat the
-- previous row's name upper-cased (1 in 2000) or with a trailing space (1 in 2000), and
-- 1 in 20000 that repeat it exactly: utf8mb4_general_ci sees all three as duplicates.
INSERT INTO oms_project (id, project_name, project_status, source_datasource_id,
                         sink_datasource_id, gmt_created, gmt_modified)
SELECT CONCAT('p_', LPAD(LOWER(CONV(CAST(seq AS DECIMAL(40,0)) * 2862933555777941759 MOD 4738381338321616896, 10, 36)), 12, '0')),
       CASE dup WHEN 1 THEN UPPER(nm) WHEN 2 THEN CONCAT(nm, ' ') ELSE nm END,
       CASE WHEN @components THEN
              -- components: r (0..99999) picks the 0.08 % not ready, h the rest.
              CASE WHEN r < 30 THEN 'FAILED'    WHEN r < 50 THEN 'SUSPEND'
                   WHEN r < 60 THEN 'INIT'      WHEN r < 70 THEN 'RELEASING'
                   WHEN r < 75 THEN 'RUNNING_MODIFYING' WHEN r < 80 THEN 'RUNNING_MERGING'
                   WHEN h < 300 THEN 'FINISHED' WHEN h < 550 THEN 'RELEASED'
                   WHEN h < 770 THEN 'DELETED'  ELSE 'RUNNING' END
       ELSE
       CASE WHEN h < 300 THEN 'FINISHED'  WHEN h < 550 THEN 'RELEASED'
            WHEN h < 750 THEN 'DELETED'   WHEN h < 970 THEN 'RUNNING'
            WHEN h < 980 THEN 'FAILED'    WHEN h < 985 THEN 'SUSPEND'
            WHEN h < 988 THEN 'INIT'      WHEN h < 990 THEN 'RELEASING'
            WHEN h < 992 THEN 'RUNNING_MODIFYING' WHEN h < 994 THEN 'RUNNING_MERGING'
            ELSE 'RUNNING' END END,
       CONCAT('ds_', LPAD(LOWER(CONV((1 + h2 % 1000) * 1181783497 MOD 78364164096, 10, 36)), 7, '0')),
       CONCAT('ds_', LPAD(LOWER(CONV((1 + (h2 DIV 1000) % 1000) * 1181783497 MOD 78364164096, 10, 36)), 7, '0')),
       created,
       created + INTERVAL (h * 97 + 5) MINUTE
FROM (
  SELECT seq, dup, ((seq * 2654435761) DIV 65536) % 1000 AS h, (seq * 40503) % 1000003 AS h2,
         CRC32(CONCAT('p', seq)) % 100000 AS r,
         TIMESTAMP'2021-06-01 00:00:00' + INTERVAL (seq * (126230400 DIV {{N}})) SECOND AS created,
         CONCAT(IF(b % 50 = 7, '迁移任务_', ''),
                ELT(1 + b % 9, 'mysql2ob', 'ora2ob', 'ob2ob', 'ob2kafka', 'pg2ob', 'db22ob',
                    'tidb2ob', 'ob2datahub', 'ob2rocketmq'), '_',
                ELT(1 + (b DIV 9) % 12, 'orders', 'users', 'payments', 'inventory', 'ledger',
                    'audit_log', 'customers', 'shipments', 'trade', 'risk', 'account', 'billing'),
                '_', ELT(1 + (b DIV 108) % 4, 'prod', 'staging', 'dr', 'uat'),
                '_', LPAD(b, 7, '0')) AS nm
  FROM (
    SELECT seq,
           CASE WHEN seq % 2000 = 0 THEN 1 WHEN seq % 2000 = 1000 THEN 2
                WHEN seq % 20000 = 500 THEN 3 ELSE 0 END AS dup,
           IF(seq % 2000 IN (0, 1000) OR seq % 20000 = 500, seq - 1, seq) AS b
    FROM seq_1_to_{{N}}
  ) s0
) s1;

-- Data synchronization projects (N/4), same duplicate scheme.
INSERT INTO oms_sync_project (id, project_name, project_status, source_datasource_id,
                              sink_datasource_id, gmt_created, gmt_modified)
SELECT CONCAT('p_', LPAD(LOWER(CONV(CAST(1000000000 + seq AS DECIMAL(40,0)) * 2862933555777941759 MOD 4738381338321616896, 10, 36)), 12, '0')),
       CASE dup WHEN 1 THEN UPPER(nm) WHEN 2 THEN CONCAT(nm, ' ') ELSE nm END,
       CASE WHEN @components THEN
              CASE WHEN r < 30 THEN 'FAILED'    WHEN r < 50 THEN 'SUSPEND'
                   WHEN r < 60 THEN 'INIT'      WHEN r < 70 THEN 'RELEASING'
                   WHEN r < 75 THEN 'RUNNING_MODIFYING' WHEN r < 80 THEN 'RUNNING_MERGING'
                   WHEN h < 550 THEN 'RUNNING'  WHEN h < 700 THEN 'RELEASED'
                   WHEN h < 850 THEN 'DELETED'  ELSE 'FINISHED' END
       ELSE
       CASE WHEN h < 550 THEN 'RUNNING'   WHEN h < 700 THEN 'RELEASED'
            WHEN h < 850 THEN 'DELETED'   WHEN h < 960 THEN 'FINISHED'
            WHEN h < 975 THEN 'FAILED'    WHEN h < 985 THEN 'SUSPEND'
            WHEN h < 990 THEN 'INIT'      WHEN h < 993 THEN 'RELEASING'
            WHEN h < 996 THEN 'RUNNING_MODIFYING'
            ELSE 'RUNNING_MERGING' END END,
       CONCAT('ds_', LPAD(LOWER(CONV((1 + h2 % 1000) * 1181783497 MOD 78364164096, 10, 36)), 7, '0')),
       CONCAT('ds_', LPAD(LOWER(CONV((1 + (h2 DIV 1000) % 1000) * 1181783497 MOD 78364164096, 10, 36)), 7, '0')),
       created,
       created + INTERVAL (h * 53 + 5) MINUTE
FROM (
  SELECT seq, dup, ((seq * 2654435761) DIV 65536) % 1000 AS h, (seq * 69069) % 1000003 AS h2,
         CRC32(CONCAT('s', seq)) % 100000 AS r,
         TIMESTAMP'2021-06-01 00:00:00' + INTERVAL (seq * (126230400 DIV {{NS}})) SECOND AS created,
         CONCAT(IF(b % 40 = 11, '同步_', ''),
                ELT(1 + b % 7, 'sync_ob2kafka', 'sync_ob2ob', 'sync_mysql2ob', 'sync_ob2datahub',
                    'sync_ob2rocketmq', 'sync_ora2ob', 'sync_ob2mysql'), '_',
                ELT(1 + (b DIV 7) % 10, 'orders', 'users', 'payments', 'events', 'ledger',
                    'clicks', 'sessions', 'metrics', 'trade', 'risk'),
                '_', ELT(1 + (b DIV 70) % 3, 'prod', 'dr', 'uat'),
                '_', LPAD(b, 7, '0')) AS nm
  FROM (
    SELECT seq,
           CASE WHEN seq % 2000 = 0 THEN 1 WHEN seq % 2000 = 1000 THEN 2
                WHEN seq % 20000 = 500 THEN 3 ELSE 0 END AS dup,
           IF(seq % 2000 IN (0, 1000) OR seq % 20000 = 500, seq - 1, seq) AS b
    FROM seq_1_to_{{NS}}
  ) s0
) s1;

INSERT INTO oms_normal_config (cfg_name, cfg_value) VALUES
 ('ha.config', '{"enable":true,"enableHost":false,"enableStore":true,"perceiveStoreClientCheckpoint":false,"enableConnector":true,"enableJdbcWriter":true,"subtopicStoreNumberThreshold":5,"checkRequestIntervalSec":600,"checkJdbcWriterIntervalSec":600,"checkHostDownIntervalSec":540,"checkModuleExceptionIntervalSec":240,"clearAbnormalResourceHours":72,"refetchStoreIntervalMin":120}'),
 ('alarm.config', '{"enable":true,"channels":["dingtalk"],"silenceMinutes":30}'),
 ('store.config', '{"storeKeepHours":48,"maxStoreNum":200}'),
 ('migration.default.config', '{"fullTransferConcurrency":8,"incrTransferConcurrency":4}'),
 ('console.session.timeout', '1800'),
 ('tsdb.config', '{"enable":false}');

INSERT INTO oms_normal_config (cfg_name, cfg_value)
SELECT CONCAT('tenant.quota.t', seq), CONCAT('{"maxProjects":', 100 + seq, ',"maxDatasources":50}')
FROM seq_1_to_40;

INSERT INTO cluster_info (region, region_cn, cm_url, code, is_default_cm) VALUES
 ('cn-bench', 'cn-bench', 'http://10.0.0.1:8088', 1, 1);

INSERT INTO oms_version (version, gmt_modified) VALUES
 ('3.2.1', '2021-05-20 10:00:00'),
 ('3.3.0', '2022-08-15 10:00:00'),
 ('3.4.0', '2023-09-10 10:00:00');

-- ===================================================================== cm_bench
USE cm_bench;

INSERT INTO resource_group (name) VALUES ('1');
INSERT INTO host (resource_group_id, ip, status) VALUES (1, '10.0.0.1', 'ONLINE');

-- Incr-Sync components ({{NC}}: N/8, components shape N/4), 4 config_job rows each. Odd
-- components belong to migration project 8k (components shape: 4k), even ones to sync
-- project 2k (components shape: k).
-- key 1: sourceFile.blackRegionNo = 1 (= cm_location); NULL for 1 in 10; 2 for 1 in 5000
--        (components shape: 1 in 10000)
-- key 2: sourceFile.dbType, except 1 in 100 components that have a timeout setting instead
-- key 3: sourceFile.checkpoint
-- key 4: sourceFile.clients (1 in 2), condition.whiteCondition or sourceFile.ignoreDdl
INSERT INTO config_job (job_name, `key`, value, gmt_created, gmt_modified)
SELECT CONCAT('10.0.0.1-9000:connector_v2:', pid, '-incr_trans-1-0:', LPAD(k, 10, '0')),
       CASE j WHEN 1 THEN 'sourceFile.blackRegionNo'
              WHEN 2 THEN IF(k % 100 = 37, 'sourceFile.connectionTimeoutSec', 'sourceFile.dbType')
              WHEN 3 THEN 'sourceFile.checkpoint'
              ELSE ELT(1 + k % 4, 'sourceFile.clients', 'condition.whiteCondition',
                       'sourceFile.clients', 'sourceFile.ignoreDdl') END,
       CASE j WHEN 1 THEN CASE WHEN k % 10 = 0 THEN NULL WHEN k % @black_every = 1234 THEN '2' ELSE '1' END
              WHEN 2 THEN IF(k % 100 = 37, '120',
                             ELT(1 + k % 5, 'OB_MYSQL', 'MYSQL', 'OB_MYSQL', 'OB_ORACLE', 'ORACLE'))
              WHEN 3 THEN CONCAT('{"', pid, '_', LPAD(k, 10, '0'), '_client":"', 1700000000 + k * 7, '"}')
              ELSE ELT(1 + k % 4,
                       CONCAT('[{"clientId":"', pid, '_', LPAD(k, 10, '0'), '_client","subtopic":"ob_t', k % 40,
                              '_', LPAD(k % 1000, 4, '0'), '-1","clusterManagerUrl":"http://10.0.0.1:8088",',
                              '"filterConditions":["db_', k % 97, '.*"]}]'),
                       CONCAT('[{"name":"db_', k % 97, '","all":false,"tables":[{"name":"orders_', k % 13,
                              '"},{"name":"order_items_', k % 13, '"},{"name":"payments"}]}]'),
                       CONCAT('[{"clientId":"', pid, '_', LPAD(k, 10, '0'), '_client","subtopic":"ob_t', k % 40,
                              '_', LPAD(k % 1000, 4, '0'), '-1","clusterManagerUrl":"http://10.0.0.1:8088",',
                              '"filterConditions":["db_', k % 97, '.*"]}]'),
                       IF(k % 8 < 4, 'false', 'true')) END,
       created, created + INTERVAL (k % 1000) MINUTE
FROM (
  SELECT k, j,
         IF(k % 2 = 1,
            CONCAT('p_', LPAD(LOWER(CONV(CAST(k * @mig_stride AS DECIMAL(40,0)) * 2862933555777941759 MOD 4738381338321616896, 10, 36)), 12, '0')),
            CONCAT('p_', LPAD(LOWER(CONV(CAST(1000000000 + k * @sync_stride AS DECIMAL(40,0)) * 2862933555777941759 MOD 4738381338321616896, 10, 36)), 12, '0'))) AS pid,
         TIMESTAMP'2021-06-01 00:00:00' + INTERVAL (k * (126230400 DIV {{NC}})) SECOND AS created
  FROM (SELECT (seq - 1) DIV 4 + 1 AS k, (seq - 1) % 4 + 1 AS j FROM seq_1_to_{{NR}}) s0
) t;

-- ===================================================================== cm_hb_bench
USE cm_hb_bench;

-- One heartbeat a second from 2024-01-01.
INSERT INTO heatbeat_sequence (id, gmt_created, gmt_modified)
SELECT seq, TIMESTAMP'2024-01-01 00:00:00' + INTERVAL seq SECOND,
       TIMESTAMP'2024-01-01 00:00:00' + INTERVAL seq SECOND
FROM seq_1_to_{{M}};
