# axi-ram's RTL; top module axi_ram_top. Paths are relative to this folder;
# the bridge endpoint is added by qemu-hdl-bridge. The waivers (.vlt) must
# come before the file they waive.
axi_ram.vlt
axi_ram.v
axi_ram_top.sv
