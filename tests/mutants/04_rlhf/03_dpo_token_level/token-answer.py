# %% mutant: beta-forgotten
def implicit_token_rewards(policy: GRUPolicy, reference: GRUPolicy, tokens: torch.Tensor, beta: float) -> torch.Tensor:
    """beta * log(pi(y_t | y_<t) / pi_ref(y_t | y_<t)) at every position: (N, L), no gradient."""
    with torch.no_grad():
        return policy.token_logprobs(tokens) - reference.token_logprobs(tokens)

# %% mutant: reversed-ratio
def implicit_token_rewards(policy: GRUPolicy, reference: GRUPolicy, tokens: torch.Tensor, beta: float) -> torch.Tensor:
    """beta * log(pi(y_t | y_<t) / pi_ref(y_t | y_<t)) at every position: (N, L), no gradient."""
    with torch.no_grad():
        return beta * (reference.token_logprobs(tokens) - policy.token_logprobs(tokens))

# %% mutant: cumulative
def implicit_token_rewards(policy: GRUPolicy, reference: GRUPolicy, tokens: torch.Tensor, beta: float) -> torch.Tensor:
    """beta * log(pi(y_t | y_<t) / pi_ref(y_t | y_<t)) at every position: (N, L), no gradient."""
    with torch.no_grad():
        return (beta * (policy.token_logprobs(tokens) - reference.token_logprobs(tokens))).cumsum(dim=1)

# %% mutant: with-gradient
def implicit_token_rewards(policy: GRUPolicy, reference: GRUPolicy, tokens: torch.Tensor, beta: float) -> torch.Tensor:
    """beta * log(pi(y_t | y_<t) / pi_ref(y_t | y_<t)) at every position: (N, L), no gradient."""
    return beta * (policy.token_logprobs(tokens) - reference.token_logprobs(tokens))
