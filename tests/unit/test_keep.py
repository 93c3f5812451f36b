"""{% keep %}: a fragment rendered once per process for each set of the values it names."""

from django.template import Context, Template


def test_a_kept_fragment_renders_again_only_for_new_named_values():
    template = Template("{% load dashboard %}{% keep a %}{{ a }}-{{ b }}{% endkeep %}")

    def render(**values) -> str:
        return template.render(Context(values))

    assert render(a=1, b="x") == "1-x"
    assert render(a=1, b="y") == "1-x"  # b is not named: the kept rendering
    assert render(a=2, b="y") == "2-y"
    assert render(a=1, b="z") == "1-x"
