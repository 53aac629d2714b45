import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHwmonCollector } from '../../../src/inputs/host/hwmon.js';
import { createThermalZoneCollector } from '../../../src/inputs/host/thermal-zone.js';
import { collectOnce, fixturePaths, keysOf, writeTree } from '../../helpers/host-fixture.js';
import { tempDir } from '../../helpers/temp-dir.js';

const ZONE0 = 'sys/devices/virtual/thermal/thermal_zone0';
const RPI_HWMON = 'sys/devices/platform/soc/soc:firmware/raspberrypi-hwmon';

/** The thermal and hwmon parts of a Raspberry Pi's sysfs (kernel 6.1), with their symlinks. */
function writePiSysfs(root: string): void {
  writeTree(root, {
    [`${ZONE0}/type`]: 'cpu-thermal\n',
    [`${ZONE0}/temp`]: '48312\n',
    [`${ZONE0}/policy`]: 'step_wise\n',
    [`${ZONE0}/trip_point_0_temp`]: '110000\n',
    [`${ZONE0}/power`]: { dir: true },
    [`${ZONE0}/hwmon0/name`]: 'cpu_thermal\n',
    [`${ZONE0}/hwmon0/temp1_input`]: '48312\n',
    [`${ZONE0}/hwmon0/device`]: { link: '../../thermal_zone0' },
    'sys/devices/virtual/thermal/cooling_device0/type': 'cpufreq-cpu0\n',
    'sys/devices/virtual/thermal/cooling_device0/cur_state': '1\n',
    'sys/devices/virtual/thermal/cooling_device0/max_state': '3\n',
    'sys/class/thermal/thermal_zone0': { link: '../../devices/virtual/thermal/thermal_zone0' },
    'sys/class/thermal/cooling_device0': { link: '../../devices/virtual/thermal/cooling_device0' },
    [`${RPI_HWMON}/modalias`]: 'platform:raspberrypi-hwmon\n',
    [`${RPI_HWMON}/power`]: { dir: true },
    [`${RPI_HWMON}/hwmon/hwmon1/name`]: 'rpi_volt\n',
    [`${RPI_HWMON}/hwmon/hwmon1/in0_lcrit_alarm`]: '0\n',
    [`${RPI_HWMON}/hwmon/hwmon1/device`]: { link: '../../../raspberrypi-hwmon' },
    'sys/class/hwmon/hwmon0': { link: `../../devices/virtual/thermal/thermal_zone0/hwmon0` },
    'sys/class/hwmon/hwmon1': { link: '../../devices/platform/soc/soc:firmware/raspberrypi-hwmon/hwmon/hwmon1' },
  });
}

describe('thermal_zone collector', () => {
  it('exports zone temperatures in °C and cooling device states, skipping a zone it cannot read', async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    writePiSysfs(dir.path);
    writeTree(dir.path, { 'sys/class/thermal/thermal_zone1/type': 'gpu-thermal\n' });
    const s = await collectOnce(createThermalZoneCollector(), fixturePaths(dir.path));
    assert.deepEqual(Object.fromEntries(s), {
      '__name__=node_thermal_zone_temp,type=cpu-thermal,zone=0': 48.312,
      '__name__=node_cooling_device_cur_state,name=0,type=cpufreq-cpu0': 1,
      '__name__=node_cooling_device_max_state,name=0,type=cpufreq-cpu0': 3,
    });
  });

  it('exports nothing, without failing, where there are no thermal zones', async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    assert.equal((await collectOnce(createThermalZoneCollector(), fixturePaths(dir.path))).size, 0);
  });
});

describe('hwmon collector', () => {
  it("names a Pi's chips after their devices and exports the SoC temperature and under-voltage alarm", async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    writePiSysfs(dir.path);
    const s = await collectOnce(createHwmonCollector(), fixturePaths(dir.path));
    assert.deepEqual(Object.fromEntries(s), {
      '__name__=node_hwmon_chip_names,chip=thermal_thermal_zone0,chip_name=cpu_thermal': 1,
      '__name__=node_hwmon_temp_celsius,chip=thermal_thermal_zone0,sensor=temp1': 48.312,
      // node_exporter also reads the device directory, where the zone's own `temp` is sensor temp0.
      '__name__=node_hwmon_temp_celsius,chip=thermal_thermal_zone0,sensor=temp0': 48.312,
      '__name__=node_hwmon_chip_names,chip=soc:firmware_raspberrypi_hwmon,chip_name=rpi_volt': 1,
      '__name__=node_hwmon_in_lcrit_alarm_volts,chip=soc:firmware_raspberrypi_hwmon,sensor=in0': 0,
    });
  });

  it("converts each sensor type to node_exporter's units, with labels and name fallbacks", async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const chip = 'sys/devices/virtual/hwmon/hwmon2';
    writeTree(dir.path, {
      [`${chip}/name`]: 'Fancy Chip-1\n',
      [`${chip}/temp1_input`]: '30000\n',
      [`${chip}/temp1_label`]: 'Core 0\n',
      [`${chip}/temp1_crit`]: '100000\n',
      [`${chip}/temp1_crit_alarm`]: '0\n',
      [`${chip}/fan1_input`]: '1200\n',
      [`${chip}/fan1_alarm`]: '1\n',
      [`${chip}/pwm1`]: '128\n',
      [`${chip}/pwm1_enable`]: '2\n',
      [`${chip}/in1_input`]: '5100\n',
      [`${chip}/curr1_input`]: '500\n',
      [`${chip}/power1_input`]: '2500000\n',
      [`${chip}/power1_average_interval`]: '1000\n',
      [`${chip}/energy1_input`]: '3000000\n',
      [`${chip}/humidity1_input`]: '45000\n',
      [`${chip}/update_interval`]: '2000\n',
      [`${chip}/beep_enable`]: '1\n',
      [`${chip}/uevent`]: '\n',
      [`${chip}/temp9_input`]: 'not a number\n',
      'sys/devices/virtual/hwmon/hwmon3/temp2_input': '25000\n',
      'sys/class/hwmon/hwmon2': { link: '../../devices/virtual/hwmon/hwmon2' },
      'sys/class/hwmon/hwmon3': { link: '../../devices/virtual/hwmon/hwmon3' },
    });
    const s = await collectOnce(createHwmonCollector(), fixturePaths(dir.path));
    const at = (sensor: string) => `chip=fancy_chip_1,sensor=${sensor}`;
    assert.deepEqual(Object.fromEntries(s), {
      '__name__=node_hwmon_chip_names,chip=fancy_chip_1,chip_name=fancy_chip_1': 1,
      [`__name__=node_hwmon_sensor_label,chip=fancy_chip_1,label=Core 0,sensor=temp1`]: 1,
      [`__name__=node_hwmon_temp_celsius,${at('temp1')}`]: 30,
      [`__name__=node_hwmon_temp_crit_celsius,${at('temp1')}`]: 100,
      [`__name__=node_hwmon_temp_crit_alarm_celsius,${at('temp1')}`]: 0,
      [`__name__=node_hwmon_fan_rpm,${at('fan1')}`]: 1200,
      [`__name__=node_hwmon_fan_alarm,${at('fan1')}`]: 1,
      [`__name__=node_hwmon_pwm,${at('pwm1')}`]: 128,
      [`__name__=node_hwmon_pwm_enable,${at('pwm1')}`]: 2,
      // Multiplied by 0.001 as node_exporter does, float rounding included.
      [`__name__=node_hwmon_in_volts,${at('in1')}`]: 5100 * 0.001,
      [`__name__=node_hwmon_curr_amps,${at('curr1')}`]: 0.5,
      [`__name__=node_hwmon_power_watt,${at('power1')}`]: 2.5,
      [`__name__=node_hwmon_power_average_interval_seconds,${at('power1')}`]: 1,
      [`__name__=node_hwmon_energy_joule_total,${at('energy1')}`]: 3,
      [`__name__=node_hwmon_humidity,${at('humidity1')}`]: 0.045,
      [`__name__=node_hwmon_update_interval_seconds,${at('update_interval0')}`]: 2,
      [`__name__=node_hwmon_beep_enabled,${at('beep_enable0')}`]: 1,
      // No device and no name file: the chip is named after its directory.
      '__name__=node_hwmon_temp_celsius,chip=hwmon3,sensor=temp2': 25,
    });
    assert.deepEqual(keysOf(s, 'node_hwmon_temp_celsius').length, 2);
  });

  it('exports nothing, without failing, where there is no /sys/class/hwmon', async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    assert.equal((await collectOnce(createHwmonCollector(), fixturePaths(dir.path))).size, 0);
  });
});
