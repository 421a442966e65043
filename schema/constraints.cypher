// Neo4j constraints and indexes for a consultgraph project (Neo4j 5).
// `consultgraph push neo4j` runs every statement below before loading; they are
// idempotent (IF NOT EXISTS). Labels and relationship types follow schema/ontology.ttl.
CREATE CONSTRAINT respondent_id IF NOT EXISTS FOR (n:Respondent) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT quote_id IF NOT EXISTS FOR (n:Quote) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT finding_id IF NOT EXISTS FOR (n:Finding) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT source_id IF NOT EXISTS FOR (n:Source) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT statement_id IF NOT EXISTS FOR (n:Statement) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT response_id IF NOT EXISTS FOR (n:Response) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT question_id IF NOT EXISTS FOR (n:Question) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT stakeholdergroup_id IF NOT EXISTS FOR (n:StakeholderGroup) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT region_id IF NOT EXISTS FOR (n:Region) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT theme_id IF NOT EXISTS FOR (n:Theme) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT tactic_id IF NOT EXISTS FOR (n:Tactic) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT approach_id IF NOT EXISTS FOR (n:Approach) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT idea_id IF NOT EXISTS FOR (n:Idea) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT partnertype_id IF NOT EXISTS FOR (n:PartnerType) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT audience_id IF NOT EXISTS FOR (n:Audience) REQUIRE n.id IS UNIQUE;
CREATE INDEX concept_label IF NOT EXISTS FOR (n:Concept) ON (n.label);
CREATE INDEX finding_measure IF NOT EXISTS FOR (n:Finding) ON (n.measure);
CREATE INDEX coding_coder IF NOT EXISTS FOR ()-[r:MENTIONS]-() ON (r.coder);
CREATE CONSTRAINT campaign_id IF NOT EXISTS FOR (n:Campaign) REQUIRE n.id IS UNIQUE;
