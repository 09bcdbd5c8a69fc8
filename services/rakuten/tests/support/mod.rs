//! What the tests that drive workflows share.

use temporalio_client::{
    Client, WorkflowGetResultOptions, WorkflowIdReusePolicy, WorkflowStartOptions,
};
use temporalio_common::HasWorkflowDefinition;

/// Starts `workflow` as `id` (a new run when the id was used before) and waits for its result.
pub async fn run_workflow<W>(
    client: &Client,
    workflow: W,
    input: W::Input,
    id: &str,
) -> Result<W::Output, String>
where
    W: HasWorkflowDefinition,
    W::Input: Send,
{
    let handle = client
        .start_workflow(
            workflow,
            input,
            WorkflowStartOptions::new(contracts::TASK_QUEUE, id)
                .id_reuse_policy(WorkflowIdReusePolicy::AllowDuplicate)
                .build(),
        )
        .await
        .map_err(|e| format!("{id}: {e:?}"))?;
    handle
        .get_result(WorkflowGetResultOptions::default())
        .await
        .map_err(|e| format!("{id}: {e:?}"))
}
