# {{NAME}}'s RTL, in compile order; top module {{NAME_C}}_top. Paths are
# relative to this folder. The bridge endpoint cosim_bridge is added by
# qemu-hdl-bridge itself: do not list it. One path per line; +incdir+DIR and
# +define+X lines are passed through to Verilator.
{{NAME_C}}_dma.sv
{{NAME_C}}_dev.sv
{{NAME_C}}_top.sv
