//! A state machine definition, parsed and validated once: every path, template, intrinsic call and transition is
//! compiled here so that running an execution never parses again.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::fmt;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::choice::ChoiceRule;
use crate::error::DefinitionError;
use crate::failure::{STATES_ALL, STATES_TASK_FAILED, STATES_TIMEOUT};
use crate::intrinsic::IntrinsicCall;
use crate::path::{Path, PathProblem};
use crate::template::Template;
use crate::{strict_json, substitution};

/// The only Task resource this executor runs: the optimised Lambda integration.
pub const LAMBDA_INVOKE_RESOURCE: &str = "arn:aws:states:::lambda:invoke";

/// Step Functions refuses longer state names.
const MAX_STATE_NAME_LENGTH: usize = 80;

/// A parsed, validated state machine definition; parse it once and share it (`Arc`) between executions.
#[derive(Debug)]
pub struct Definition {
    comment: Option<String>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) machine: StateMachine,
    /// Whether any path reads `$$.Execution.Input`, which is the only reason to keep a copy of the input.
    pub(crate) reads_execution_input: bool,
}

/// The kind of a state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StateType {
    Task,
    Pass,
    Choice,
    Map,
    Succeed,
    Fail,
}

impl StateType {
    pub fn as_str(self) -> &'static str {
        match self {
            StateType::Task => "Task",
            StateType::Pass => "Pass",
            StateType::Choice => "Choice",
            StateType::Map => "Map",
            StateType::Succeed => "Succeed",
            StateType::Fail => "Fail",
        }
    }
}

impl fmt::Display for StateType {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// One state as written, for tests that check the definition against the code (see [`Definition::states`]).
#[derive(Debug, Clone)]
pub struct StateInfo<'a> {
    pub name: &'a str,
    pub state_type: StateType,
    /// The Map state whose ItemProcessor holds this state; `None` at the top level.
    pub enclosing_map: Option<&'a str>,
    /// A Task's `Resource`.
    pub resource: Option<&'a str>,
    /// Every state this one can go to: `Next`, each Choice rule's `Next`, `Default`, each Catcher's `Next`.
    pub transitions: Vec<&'a str>,
    /// `End: true` (Succeed and Fail states end without it).
    pub end: bool,
    /// A Task's or Pass state's `Parameters` as written (after substitutions).
    pub parameters: Option<&'a Value>,
    /// A Map state's `ItemSelector` (or legacy `Parameters`) as written.
    pub item_selector: Option<&'a Value>,
    /// Every name in the `ErrorEquals` of the state's Retriers, in order.
    pub retry_error_names: Vec<&'a str>,
    /// Every name in the `ErrorEquals` of the state's Catchers, in order.
    pub catch_error_names: Vec<&'a str>,
}

#[derive(Debug)]
pub(crate) struct StateMachine {
    pub start_at: usize,
    pub states: Vec<State>,
}

#[derive(Debug)]
pub(crate) struct State {
    pub name: String,
    pub kind: StateKind,
    description: Description,
}

/// What [`StateInfo`] reports, kept as written.
#[derive(Debug)]
struct Description {
    state_type: StateType,
    resource: Option<String>,
    transitions: Vec<String>,
    end: bool,
    parameters: Option<Value>,
    item_selector: Option<Value>,
    retry_error_names: Vec<String>,
    catch_error_names: Vec<String>,
}

#[derive(Debug)]
pub(crate) enum StateKind {
    Task(TaskState),
    Pass(PassState),
    Choice(ChoiceState),
    Map(MapState),
    Succeed(SucceedState),
    Fail(FailState),
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Transition {
    Next(usize),
    End,
}

/// InputPath or OutputPath.
#[derive(Debug)]
pub(crate) enum Selection {
    /// `$` (or absent): the whole value.
    Whole,
    /// `null`: an empty object.
    Empty,
    Path(Path),
}

#[derive(Debug)]
pub(crate) enum ResultPath {
    /// `null`: the result is dropped and the state's raw input passes through.
    Discard,
    /// `$` (or absent): the result replaces the input.
    Replace,
    Write(Path),
}

#[derive(Debug)]
pub(crate) struct TaskState {
    pub input_path: Selection,
    pub parameters: Template,
    pub result_selector: Option<Template>,
    pub result_path: ResultPath,
    pub output_path: Selection,
    pub timeout: Option<Duration>,
    pub errors: ErrorHandling,
    pub transition: Transition,
}

#[derive(Debug)]
pub(crate) struct MapState {
    pub input_path: Selection,
    pub items_path: Path,
    pub item_selector: Option<Template>,
    pub processor: StateMachine,
    /// 0: no limit.
    pub max_concurrency: usize,
    pub result_selector: Option<Template>,
    pub result_path: ResultPath,
    pub output_path: Selection,
    pub errors: ErrorHandling,
    pub transition: Transition,
}

#[derive(Debug)]
pub(crate) struct PassState {
    pub input_path: Selection,
    pub parameters: Option<Template>,
    pub result: Option<Value>,
    pub result_path: ResultPath,
    pub output_path: Selection,
    pub transition: Transition,
}

#[derive(Debug)]
pub(crate) struct ChoiceState {
    pub input_path: Selection,
    pub output_path: Selection,
    pub choices: Vec<(ChoiceRule, usize)>,
    pub default: Option<usize>,
}

#[derive(Debug)]
pub(crate) struct SucceedState {
    pub input_path: Selection,
    pub output_path: Selection,
}

#[derive(Debug)]
pub(crate) struct FailState {
    pub error: Option<Expression>,
    pub cause: Option<Expression>,
}

/// A Fail state's Error/Cause: written out, or computed with ErrorPath/CausePath.
#[derive(Debug)]
pub(crate) enum Expression {
    Literal(String),
    Path(Path),
    Intrinsic(IntrinsicCall),
}

#[derive(Debug, Default)]
pub(crate) struct ErrorHandling {
    pub retriers: Vec<Retrier>,
    pub catchers: Vec<Catcher>,
}

#[derive(Debug)]
pub(crate) struct Retrier {
    pub error_equals: ErrorEquals,
    pub interval_seconds: f64,
    pub max_attempts: u32,
    pub backoff_rate: f64,
    pub max_delay_seconds: Option<f64>,
    pub full_jitter: bool,
}

#[derive(Debug)]
pub(crate) struct Catcher {
    pub error_equals: ErrorEquals,
    pub next: usize,
    pub result_path: ResultPath,
}

/// A Retrier's or Catcher's `ErrorEquals`.
#[derive(Debug)]
pub(crate) struct ErrorEquals(Vec<String>);

impl ErrorEquals {
    /// `States.ALL` matches every error; `States.TaskFailed` every error but `States.Timeout`; others by name.
    pub fn matches(&self, error: &str) -> bool {
        self.0
            .iter()
            .any(|name| name == STATES_ALL || (name == STATES_TASK_FAILED && error != STATES_TIMEOUT) || name == error)
    }
}

/// Where a path may point: the context object at all, and `$$.Map.Item` in particular.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PathRules {
    pub context: bool,
    pub map_item: bool,
}

const DATA_ONLY: PathRules = PathRules {
    context: false,
    map_item: false,
};
const DATA_OR_CONTEXT: PathRules = PathRules {
    context: true,
    map_item: false,
};
const ITEM_SELECTOR: PathRules = PathRules {
    context: true,
    map_item: true,
};

/// State shared while compiling one definition.
#[derive(Debug, Default)]
pub(crate) struct Compiler {
    reads_execution_input: bool,
}

impl Compiler {
    pub fn path(&mut self, text: &str, location: &str, rules: PathRules) -> Result<Path, DefinitionError> {
        let invalid = |problem: PathProblem| DefinitionError::InvalidPath {
            location: location.to_owned(),
            path: text.to_owned(),
            problem: problem.0,
        };
        let path = Path::parse(text).map_err(invalid)?;
        self.check_path(&path, rules).map_err(invalid)?;
        Ok(path)
    }

    pub fn intrinsic(
        &mut self,
        text: &str,
        location: &str,
        rules: PathRules,
    ) -> Result<IntrinsicCall, DefinitionError> {
        let invalid = |problem: String| DefinitionError::InvalidIntrinsic {
            location: location.to_owned(),
            expression: text.to_owned(),
            problem,
        };
        let call = IntrinsicCall::parse(text).map_err(|err| invalid(err.to_string()))?;
        for path in call.paths() {
            self.check_path(path, rules)
                .map_err(|problem| invalid(format!("`{}`: {problem}", path.text())))?;
        }
        Ok(call)
    }

    fn check_path(&mut self, path: &Path, rules: PathRules) -> Result<(), PathProblem> {
        if path.root() == crate::path::Root::Context && !rules.context {
            return Err("the context object (`$$`) cannot be used here".into());
        }
        path.check_context_fields(rules.map_item)?;
        self.reads_execution_input |= path.reads_execution_input();
        Ok(())
    }
}

/// Reads the fields of one JSON object, remembering which were read so that any other is refused.
pub(crate) struct Fields<'a> {
    location: String,
    map: &'a Map<String, Value>,
    taken: Vec<&'a str>,
}

impl<'a> Fields<'a> {
    pub fn new(location: String, value: &'a Value) -> Result<Fields<'a>, DefinitionError> {
        match value {
            Value::Object(map) => Ok(Fields {
                location,
                map,
                taken: Vec::new(),
            }),
            _ => Err(DefinitionError::InvalidField {
                location,
                field: String::new(),
                problem: "must be a JSON object".to_owned(),
            }),
        }
    }

    pub fn location(&self) -> &str {
        &self.location
    }

    fn child(&self, key: &str) -> String {
        format!("{}/{key}", self.location.trim_end_matches('/'))
    }

    pub fn take(&mut self, name: &str) -> Option<&'a Value> {
        let (key, value) = self.map.get_key_value(name)?;
        self.taken.push(key.as_str());
        Some(value)
    }

    fn invalid(&self, field: &str, problem: impl Into<String>) -> DefinitionError {
        DefinitionError::InvalidField {
            location: self.location.clone(),
            field: field.to_owned(),
            problem: problem.into(),
        }
    }

    pub fn required(&mut self, name: &'static str) -> Result<&'a Value, DefinitionError> {
        self.take(name).ok_or_else(|| DefinitionError::MissingField {
            location: self.location.clone(),
            field: name,
        })
    }

    pub fn required_str(&mut self, name: &'static str) -> Result<&'a str, DefinitionError> {
        let value = self.required(name)?;
        value.as_str().ok_or_else(|| self.invalid(name, "must be a string"))
    }

    pub fn optional_str(&mut self, name: &str) -> Result<Option<&'a str>, DefinitionError> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(_) => Err(self.invalid(name, "must be a string")),
        }
    }

    fn optional_integer(&mut self, name: &str, minimum: u64) -> Result<Option<u64>, DefinitionError> {
        match self.take(name) {
            None => Ok(None),
            Some(value) => match value.as_u64().filter(|n| *n >= minimum) {
                Some(n) => Ok(Some(n)),
                None => Err(self.invalid(name, format!("must be an integer of at least {minimum}"))),
            },
        }
    }

    fn optional_number(&mut self, name: &str) -> Result<Option<f64>, DefinitionError> {
        match self.take(name) {
            None => Ok(None),
            Some(value) => value
                .as_f64()
                .map(Some)
                .ok_or_else(|| self.invalid(name, "must be a number")),
        }
    }

    fn has(&self, name: &str) -> bool {
        self.map.contains_key(name)
    }

    /// The keys nobody has read yet.
    pub fn remaining_keys(&self) -> impl Iterator<Item = String> + '_ {
        self.map
            .keys()
            .filter(|key| !self.taken.contains(&key.as_str()))
            .cloned()
    }

    /// Refuses the first field nobody read: a field the definition uses but this executor would ignore.
    pub fn finish(self) -> Result<(), DefinitionError> {
        match self.remaining_keys().next() {
            Some(field) => Err(DefinitionError::UnsupportedField {
                location: self.location.clone(),
                field,
            }),
            None => Ok(()),
        }
    }
}

/// The state names of one scope (the top level, or one Map's ItemProcessor) and their indices.
struct Scope<'a> {
    indices: HashMap<&'a str, usize>,
}

impl Scope<'_> {
    fn target(&self, name: &str, location: &str) -> Result<usize, DefinitionError> {
        self.indices
            .get(name)
            .copied()
            .ok_or_else(|| DefinitionError::UnknownTarget {
                location: location.to_owned(),
                target: name.to_owned(),
            })
    }
}

impl Definition {
    /// Replaces the `${Name}` placeholders in `json` from `substitutions`, then parses and validates the definition.
    pub fn parse(json: &str, substitutions: &BTreeMap<String, String>) -> Result<Definition, DefinitionError> {
        let text = substitution::substitute(json, substitutions)?;
        let value = strict_json::parse(&text).map_err(DefinitionError::Json)?;
        let mut compiler = Compiler::default();
        let mut fields = Fields::new("/".to_owned(), &value)?;
        let comment = fields.optional_str("Comment")?.map(str::to_owned);
        if let Some(version) = fields.optional_str("Version")?
            && version != "1.0"
        {
            return Err(fields.invalid("Version", "must be \"1.0\""));
        }
        check_query_language(&mut fields)?;
        let timeout = fields.optional_integer("TimeoutSeconds", 1)?.map(Duration::from_secs);
        let machine = parse_machine(&mut fields, &mut compiler)?;
        fields.finish()?;
        Ok(Definition {
            comment,
            timeout,
            machine,
            reads_execution_input: compiler.reads_execution_input,
        })
    }

    /// The names of the `${Name}` placeholders a definition text uses, e.g. to check a deployment supplies them all.
    pub fn placeholders(json: &str) -> Result<BTreeSet<String>, DefinitionError> {
        substitution::placeholders(json)
    }

    pub fn comment(&self) -> Option<&str> {
        self.comment.as_deref()
    }

    /// The name of the first state.
    pub fn start_at(&self) -> &str {
        &self.machine.states[self.machine.start_at].name
    }

    /// Every state, depth first: each state is followed by the states of its ItemProcessor, if any; the states of
    /// one scope come in name order (serde_json keeps object keys sorted).
    pub fn states(&self) -> Vec<StateInfo<'_>> {
        let mut out = Vec::new();
        collect_states(&self.machine, None, &mut out);
        out
    }
}

fn collect_states<'a>(machine: &'a StateMachine, enclosing_map: Option<&'a str>, out: &mut Vec<StateInfo<'a>>) {
    for state in &machine.states {
        let description = &state.description;
        out.push(StateInfo {
            name: &state.name,
            state_type: description.state_type,
            enclosing_map,
            resource: description.resource.as_deref(),
            transitions: description.transitions.iter().map(String::as_str).collect(),
            end: description.end,
            parameters: description.parameters.as_ref(),
            item_selector: description.item_selector.as_ref(),
            retry_error_names: description.retry_error_names.iter().map(String::as_str).collect(),
            catch_error_names: description.catch_error_names.iter().map(String::as_str).collect(),
        });
        if let StateKind::Map(map) = &state.kind {
            collect_states(&map.processor, Some(&state.name), out);
        }
    }
}

fn check_query_language(fields: &mut Fields<'_>) -> Result<(), DefinitionError> {
    match fields.optional_str("QueryLanguage")? {
        None | Some("JSONPath") => Ok(()),
        Some(_) => Err(fields.invalid("QueryLanguage", "only JSONPath is supported")),
    }
}

/// Parses `StartAt` and `States` from `fields`: the top level, or a Map's ItemProcessor.
fn parse_machine(fields: &mut Fields<'_>, compiler: &mut Compiler) -> Result<StateMachine, DefinitionError> {
    let start_at = fields.required_str("StartAt")?;
    let states_value = fields.required("States")?;
    let states_location = fields.child("States");
    let states_map = match states_value {
        Value::Object(map) if !map.is_empty() => map,
        _ => return Err(fields.invalid("States", "must be a non-empty object of states")),
    };
    let scope = Scope {
        indices: states_map
            .keys()
            .enumerate()
            .map(|(index, name)| (name.as_str(), index))
            .collect(),
    };
    let mut states = Vec::with_capacity(states_map.len());
    for (name, value) in states_map {
        let location = format!("{states_location}/{name}");
        states.push(parse_state(name, value, location, &scope, compiler)?);
    }
    let start_at = scope.target(start_at, &fields.child("StartAt"))?;
    let machine = StateMachine { start_at, states };
    check_reachable(&machine, &states_location)?;
    Ok(machine)
}

fn check_reachable(machine: &StateMachine, location: &str) -> Result<(), DefinitionError> {
    let mut reached = vec![false; machine.states.len()];
    let mut queue = VecDeque::from([machine.start_at]);
    reached[machine.start_at] = true;
    while let Some(index) = queue.pop_front() {
        for &target in &machine.states[index].targets() {
            if !reached[target] {
                reached[target] = true;
                queue.push_back(target);
            }
        }
    }
    match reached.iter().position(|reached| !reached) {
        Some(index) => Err(DefinitionError::UnreachableState {
            location: location.to_owned(),
            state: machine.states[index].name.clone(),
        }),
        None => Ok(()),
    }
}

impl State {
    fn targets(&self) -> Vec<usize> {
        let mut targets = Vec::new();
        let push_transition = |transition: &Transition, targets: &mut Vec<usize>| {
            if let Transition::Next(next) = transition {
                targets.push(*next);
            }
        };
        match &self.kind {
            StateKind::Task(task) => {
                push_transition(&task.transition, &mut targets);
                targets.extend(task.errors.catchers.iter().map(|catcher| catcher.next));
            }
            StateKind::Map(map) => {
                push_transition(&map.transition, &mut targets);
                targets.extend(map.errors.catchers.iter().map(|catcher| catcher.next));
            }
            StateKind::Pass(pass) => push_transition(&pass.transition, &mut targets),
            StateKind::Choice(choice) => {
                targets.extend(choice.choices.iter().map(|(_, next)| *next));
                targets.extend(choice.default);
            }
            StateKind::Succeed(_) | StateKind::Fail(_) => {}
        }
        targets
    }
}

fn parse_state(
    name: &str,
    value: &Value,
    location: String,
    scope: &Scope<'_>,
    compiler: &mut Compiler,
) -> Result<State, DefinitionError> {
    if name.chars().count() > MAX_STATE_NAME_LENGTH || name.is_empty() {
        return Err(DefinitionError::InvalidField {
            location,
            field: String::new(),
            problem: format!("a state name has 1 to {MAX_STATE_NAME_LENGTH} characters"),
        });
    }
    let mut fields = Fields::new(location, value)?;
    let state_type = fields.required_str("Type")?;
    fields.optional_str("Comment")?;
    check_query_language(&mut fields)?;
    let mut description = Description {
        state_type: StateType::Pass,
        resource: None,
        transitions: Vec::new(),
        end: false,
        parameters: None,
        item_selector: None,
        retry_error_names: Vec::new(),
        catch_error_names: Vec::new(),
    };
    let kind = match state_type {
        "Task" => {
            description.state_type = StateType::Task;
            StateKind::Task(parse_task(&mut fields, scope, compiler, &mut description)?)
        }
        "Map" => {
            description.state_type = StateType::Map;
            StateKind::Map(parse_map(&mut fields, scope, compiler, &mut description)?)
        }
        "Pass" => {
            description.state_type = StateType::Pass;
            StateKind::Pass(parse_pass(&mut fields, scope, compiler, &mut description)?)
        }
        "Choice" => {
            description.state_type = StateType::Choice;
            StateKind::Choice(parse_choice(&mut fields, scope, compiler, &mut description)?)
        }
        "Succeed" => {
            description.state_type = StateType::Succeed;
            refuse_transition(&fields, "Succeed")?;
            StateKind::Succeed(SucceedState {
                input_path: parse_selection(&mut fields, "InputPath", DATA_OR_CONTEXT, compiler)?,
                output_path: parse_selection(&mut fields, "OutputPath", DATA_ONLY, compiler)?,
            })
        }
        "Fail" => {
            description.state_type = StateType::Fail;
            refuse_transition(&fields, "Fail")?;
            StateKind::Fail(FailState {
                error: parse_expression(&mut fields, "Error", "ErrorPath", compiler)?,
                cause: parse_expression(&mut fields, "Cause", "CausePath", compiler)?,
            })
        }
        other => {
            return Err(DefinitionError::UnsupportedStateType {
                location: fields.location.clone(),
                state_type: other.to_owned(),
            });
        }
    };
    fields.finish()?;
    Ok(State {
        name: name.to_owned(),
        kind,
        description,
    })
}

fn parse_task(
    fields: &mut Fields<'_>,
    scope: &Scope<'_>,
    compiler: &mut Compiler,
    description: &mut Description,
) -> Result<TaskState, DefinitionError> {
    let resource = fields.required_str("Resource")?;
    if resource != LAMBDA_INVOKE_RESOURCE {
        return Err(fields.invalid("Resource", format!("only `{LAMBDA_INVOKE_RESOURCE}` is supported")));
    }
    description.resource = Some(resource.to_owned());
    let parameters_value = fields.required("Parameters")?;
    let parameters_location = fields.child("Parameters");
    check_lambda_parameters(parameters_value, &parameters_location)?;
    description.parameters = Some(parameters_value.clone());
    let parameters = Template::compile(parameters_value, &parameters_location, DATA_OR_CONTEXT, compiler)?;
    let timeout = fields.optional_integer("TimeoutSeconds", 1)?.map(Duration::from_secs);
    let errors = parse_error_handling(fields, scope, compiler, description)?;
    let transition = parse_transition(fields, scope, description)?;
    Ok(TaskState {
        input_path: parse_selection(fields, "InputPath", DATA_OR_CONTEXT, compiler)?,
        parameters,
        result_selector: parse_result_selector(fields, compiler)?,
        result_path: parse_result_path(fields, "ResultPath", compiler)?,
        output_path: parse_selection(fields, "OutputPath", DATA_ONLY, compiler)?,
        timeout,
        errors,
        transition,
    })
}

/// The Lambda integration's Parameters: `FunctionName` and `Payload`, each written out or given by a `.$` path.
fn check_lambda_parameters(parameters: &Value, location: &str) -> Result<(), DefinitionError> {
    let Value::Object(map) = parameters else {
        return Err(DefinitionError::InvalidField {
            location: location.to_owned(),
            field: String::new(),
            problem: "must be a JSON object".to_owned(),
        });
    };
    for required in ["FunctionName", "Payload"] {
        let count = [required.to_owned(), format!("{required}.$")]
            .iter()
            .filter(|key| map.contains_key(*key))
            .count();
        if count != 1 {
            return Err(DefinitionError::InvalidField {
                location: location.to_owned(),
                field: required.to_owned(),
                problem: format!("the Lambda integration needs exactly one of `{required}` and `{required}.$`"),
            });
        }
    }
    if let Some(other) = map.keys().find(|key| {
        !matches!(
            key.as_str(),
            "FunctionName" | "FunctionName.$" | "Payload" | "Payload.$"
        )
    }) {
        return Err(DefinitionError::UnsupportedField {
            location: location.to_owned(),
            field: other.clone(),
        });
    }
    Ok(())
}

fn parse_map(
    fields: &mut Fields<'_>,
    scope: &Scope<'_>,
    compiler: &mut Compiler,
    description: &mut Description,
) -> Result<MapState, DefinitionError> {
    let items_path = match fields.optional_str("ItemsPath")? {
        Some(text) => compiler.path(text, &fields.child("ItemsPath"), DATA_OR_CONTEXT)?,
        None => Path::parse("$").expect("`$` is a path"),
    };
    let item_selector = match (fields.has("ItemSelector"), fields.has("Parameters")) {
        (true, true) => {
            return Err(fields.invalid("Parameters", "cannot be given beside ItemSelector, which replaces it"));
        }
        (true, false) => Some("ItemSelector"),
        (false, true) => Some("Parameters"),
        (false, false) => None,
    };
    let item_selector = match item_selector {
        Some(field) => {
            let value = fields.take(field).expect("checked present");
            description.item_selector = Some(value.clone());
            Some(Template::compile(value, &fields.child(field), ITEM_SELECTOR, compiler)?)
        }
        None => None,
    };
    let processor = match (fields.take("ItemProcessor"), fields.take("Iterator")) {
        (Some(_), Some(_)) => {
            return Err(fields.invalid("Iterator", "cannot be given beside ItemProcessor, which replaces it"));
        }
        (None, None) => {
            return Err(DefinitionError::MissingField {
                location: fields.location.clone(),
                field: "ItemProcessor",
            });
        }
        (Some(value), None) => {
            let mut processor = Fields::new(fields.child("ItemProcessor"), value)?;
            if let Some(config) = processor.take("ProcessorConfig") {
                let mut config = Fields::new(processor.child("ProcessorConfig"), config)?;
                if let Some(mode) = config.optional_str("Mode")?
                    && mode != "INLINE"
                {
                    return Err(config.invalid("Mode", "only INLINE is supported"));
                }
                config.finish()?;
            }
            processor.optional_str("Comment")?;
            let machine = parse_machine(&mut processor, compiler)?;
            processor.finish()?;
            machine
        }
        (None, Some(value)) => {
            let mut iterator = Fields::new(fields.child("Iterator"), value)?;
            iterator.optional_str("Comment")?;
            let machine = parse_machine(&mut iterator, compiler)?;
            iterator.finish()?;
            machine
        }
    };
    let max_concurrency = fields.optional_integer("MaxConcurrency", 0)?.unwrap_or(0);
    let errors = parse_error_handling(fields, scope, compiler, description)?;
    let transition = parse_transition(fields, scope, description)?;
    Ok(MapState {
        input_path: parse_selection(fields, "InputPath", DATA_OR_CONTEXT, compiler)?,
        items_path,
        item_selector,
        processor,
        max_concurrency: usize::try_from(max_concurrency).unwrap_or(usize::MAX),
        result_selector: parse_result_selector(fields, compiler)?,
        result_path: parse_result_path(fields, "ResultPath", compiler)?,
        output_path: parse_selection(fields, "OutputPath", DATA_ONLY, compiler)?,
        errors,
        transition,
    })
}

fn parse_pass(
    fields: &mut Fields<'_>,
    scope: &Scope<'_>,
    compiler: &mut Compiler,
    description: &mut Description,
) -> Result<PassState, DefinitionError> {
    let parameters = match fields.take("Parameters") {
        Some(value) => {
            description.parameters = Some(value.clone());
            Some(Template::compile(
                value,
                &fields.child("Parameters"),
                DATA_OR_CONTEXT,
                compiler,
            )?)
        }
        None => None,
    };
    let transition = parse_transition(fields, scope, description)?;
    Ok(PassState {
        input_path: parse_selection(fields, "InputPath", DATA_OR_CONTEXT, compiler)?,
        parameters,
        result: fields.take("Result").cloned(),
        result_path: parse_result_path(fields, "ResultPath", compiler)?,
        output_path: parse_selection(fields, "OutputPath", DATA_ONLY, compiler)?,
        transition,
    })
}

fn parse_choice(
    fields: &mut Fields<'_>,
    scope: &Scope<'_>,
    compiler: &mut Compiler,
    description: &mut Description,
) -> Result<ChoiceState, DefinitionError> {
    refuse_transition(fields, "Choice")?;
    let choices_location = fields.child("Choices");
    let rules = match fields.required("Choices")? {
        Value::Array(rules) if !rules.is_empty() => rules,
        _ => return Err(fields.invalid("Choices", "must be a non-empty array of rules")),
    };
    let mut choices = Vec::with_capacity(rules.len());
    for (index, rule) in rules.iter().enumerate() {
        let mut rule_fields = Fields::new(format!("{choices_location}/{index}"), rule)?;
        let next_name = rule_fields.required_str("Next")?;
        let next = scope.target(next_name, &rule_fields.child("Next"))?;
        description.transitions.push(next_name.to_owned());
        rule_fields.optional_str("Comment")?;
        let rule = ChoiceRule::compile(&mut rule_fields, compiler)?;
        rule_fields.finish()?;
        choices.push((rule, next));
    }
    let default = match fields.optional_str("Default")? {
        Some(name) => {
            description.transitions.push(name.to_owned());
            Some(scope.target(name, &fields.child("Default"))?)
        }
        None => None,
    };
    Ok(ChoiceState {
        input_path: parse_selection(fields, "InputPath", DATA_OR_CONTEXT, compiler)?,
        output_path: parse_selection(fields, "OutputPath", DATA_ONLY, compiler)?,
        choices,
        default,
    })
}

fn refuse_transition(fields: &Fields<'_>, state_type: &str) -> Result<(), DefinitionError> {
    for field in ["Next", "End"] {
        if fields.has(field) {
            return Err(fields.invalid(field, format!("a {state_type} state has neither Next nor End")));
        }
    }
    Ok(())
}

/// `Next` or `End: true`, exactly one of them.
fn parse_transition(
    fields: &mut Fields<'_>,
    scope: &Scope<'_>,
    description: &mut Description,
) -> Result<Transition, DefinitionError> {
    let end = match fields.take("End") {
        None => false,
        Some(Value::Bool(end)) => *end,
        Some(_) => return Err(fields.invalid("End", "must be true or false")),
    };
    match (fields.optional_str("Next")?, end) {
        (Some(_), true) => Err(fields.invalid("Next", "cannot be given beside End: true")),
        (None, false) => Err(fields.invalid("Next", "is required unless End is true")),
        (Some(name), false) => {
            description.transitions.insert(0, name.to_owned());
            Ok(Transition::Next(scope.target(name, &fields.child("Next"))?))
        }
        (None, true) => {
            description.end = true;
            Ok(Transition::End)
        }
    }
}

fn parse_selection(
    fields: &mut Fields<'_>,
    field: &str,
    rules: PathRules,
    compiler: &mut Compiler,
) -> Result<Selection, DefinitionError> {
    match fields.take(field) {
        None => Ok(Selection::Whole),
        Some(Value::Null) => Ok(Selection::Empty),
        Some(Value::String(text)) => {
            let path = compiler.path(text, &fields.child(field), rules)?;
            Ok(if path.is_identity() {
                Selection::Whole
            } else {
                Selection::Path(path)
            })
        }
        Some(_) => Err(fields.invalid(field, "must be a path or null")),
    }
}

fn parse_result_path(
    fields: &mut Fields<'_>,
    field: &str,
    compiler: &mut Compiler,
) -> Result<ResultPath, DefinitionError> {
    match fields.take(field) {
        None => Ok(ResultPath::Replace),
        Some(Value::Null) => Ok(ResultPath::Discard),
        Some(Value::String(text)) => {
            let path = compiler.path(text, &fields.child(field), DATA_ONLY)?;
            Ok(if path.is_identity() {
                ResultPath::Replace
            } else {
                ResultPath::Write(path)
            })
        }
        Some(_) => Err(fields.invalid(field, "must be a path or null")),
    }
}

fn parse_result_selector(
    fields: &mut Fields<'_>,
    compiler: &mut Compiler,
) -> Result<Option<Template>, DefinitionError> {
    match fields.take("ResultSelector") {
        Some(value) => Ok(Some(Template::compile(
            value,
            &fields.child("ResultSelector"),
            DATA_OR_CONTEXT,
            compiler,
        )?)),
        None => Ok(None),
    }
}

fn parse_expression(
    fields: &mut Fields<'_>,
    literal_field: &'static str,
    path_field: &'static str,
    compiler: &mut Compiler,
) -> Result<Option<Expression>, DefinitionError> {
    match (fields.optional_str(literal_field)?, fields.optional_str(path_field)?) {
        (Some(_), Some(_)) => Err(fields.invalid(path_field, format!("cannot be given beside {literal_field}"))),
        (Some(text), None) => Ok(Some(Expression::Literal(text.to_owned()))),
        (None, Some(text)) => {
            let location = fields.child(path_field);
            Ok(Some(if IntrinsicCall::looks_like_call(text) {
                Expression::Intrinsic(compiler.intrinsic(text, &location, DATA_OR_CONTEXT)?)
            } else {
                Expression::Path(compiler.path(text, &location, DATA_OR_CONTEXT)?)
            }))
        }
        (None, None) => Ok(None),
    }
}

fn parse_error_handling(
    fields: &mut Fields<'_>,
    scope: &Scope<'_>,
    compiler: &mut Compiler,
    description: &mut Description,
) -> Result<ErrorHandling, DefinitionError> {
    let mut handling = ErrorHandling::default();
    if let Some(retry) = fields.take("Retry") {
        let items = retry
            .as_array()
            .ok_or_else(|| fields.invalid("Retry", "must be an array of retriers"))?;
        for (index, item) in items.iter().enumerate() {
            let mut retrier = Fields::new(format!("{}/{index}", fields.child("Retry")), item)?;
            let error_equals = parse_error_equals(
                &mut retrier,
                index + 1 == items.len(),
                &mut description.retry_error_names,
            )?;
            retrier.optional_str("Comment")?;
            let interval_seconds = retrier.optional_integer("IntervalSeconds", 1)?.unwrap_or(1) as f64;
            let max_attempts = retrier.optional_integer("MaxAttempts", 0)?.unwrap_or(3);
            let backoff_rate = retrier.optional_number("BackoffRate")?.unwrap_or(2.0);
            if backoff_rate < 1.0 {
                return Err(retrier.invalid("BackoffRate", "must be at least 1.0"));
            }
            let max_delay_seconds = retrier
                .optional_integer("MaxDelaySeconds", 1)?
                .map(|seconds| seconds as f64);
            let full_jitter = match retrier.optional_str("JitterStrategy")? {
                None | Some("NONE") => false,
                Some("FULL") => true,
                Some(_) => return Err(retrier.invalid("JitterStrategy", "must be FULL or NONE")),
            };
            retrier.finish()?;
            handling.retriers.push(Retrier {
                error_equals,
                interval_seconds,
                max_attempts: u32::try_from(max_attempts).unwrap_or(u32::MAX),
                backoff_rate,
                max_delay_seconds,
                full_jitter,
            });
        }
    }
    if let Some(catch) = fields.take("Catch") {
        let items = catch
            .as_array()
            .ok_or_else(|| fields.invalid("Catch", "must be an array of catchers"))?;
        for (index, item) in items.iter().enumerate() {
            let mut catcher = Fields::new(format!("{}/{index}", fields.child("Catch")), item)?;
            let error_equals = parse_error_equals(
                &mut catcher,
                index + 1 == items.len(),
                &mut description.catch_error_names,
            )?;
            catcher.optional_str("Comment")?;
            let next_name = catcher.required_str("Next")?;
            let next = scope.target(next_name, &catcher.child("Next"))?;
            description.transitions.push(next_name.to_owned());
            let result_path = parse_result_path(&mut catcher, "ResultPath", compiler)?;
            catcher.finish()?;
            handling.catchers.push(Catcher {
                error_equals,
                next,
                result_path,
            });
        }
    }
    Ok(handling)
}

/// `ErrorEquals`: a non-empty array of names, where `States.ALL` stands alone in the last Retrier or Catcher.
fn parse_error_equals(
    fields: &mut Fields<'_>,
    is_last: bool,
    names_seen: &mut Vec<String>,
) -> Result<ErrorEquals, DefinitionError> {
    let value = fields.required("ErrorEquals")?;
    let names: Vec<String> = value
        .as_array()
        .filter(|names| !names.is_empty())
        .and_then(|names| names.iter().map(|name| name.as_str().map(str::to_owned)).collect())
        .ok_or_else(|| fields.invalid("ErrorEquals", "must be a non-empty array of error names"))?;
    if names.iter().any(|name| name == STATES_ALL) {
        if names.len() > 1 {
            return Err(fields.invalid("ErrorEquals", "States.ALL must appear alone"));
        }
        if !is_last {
            return Err(fields.invalid(
                "ErrorEquals",
                "States.ALL may appear only in the last Retrier or Catcher",
            ));
        }
    }
    names_seen.extend(names.iter().cloned());
    Ok(ErrorEquals(names))
}
